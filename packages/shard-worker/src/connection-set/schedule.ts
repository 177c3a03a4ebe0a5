/**
 * Reconnection delays: what cassandra-driver's `policies.reconnection` gives (a ReconnectionPolicy's
 * `newSchedule()`: an iterator of delays in milliseconds, one per attempt), as the connection set uses them.
 *
 * The policy object lives on the client's thread and does not clone to a shard worker (it is code). The engine
 * therefore draws a sample of each worker connection's schedule on its own thread (sampleSchedule) and posts it
 * with the connection's spec; the worker follows the sample and repeats its last delay once past its end. Why a
 * sample and not a question to the engine before each attempt: a worker must reconnect while the engine's thread
 * is busy with the application's own work (not blocking it is what workers are for), a down host costs no
 * messages, and nothing is lost for the policies cassandra-driver has: an ExponentialReconnectionPolicy reaches its
 * cap within 64 delays (then yields only the cap), a ConstantReconnectionPolicy is one delay. A custom schedule
 * longer than 64 delays repeats its 64th. The sample is drawn per connection, so the jitter still spreads the
 * reconnections of many connections; each down episode of one connection replays its sample from the start.
 * Connections on the client's thread (the direct lane) and the engine's own retries (shard refill) use the policy
 * itself: a new schedule per episode, as cassandra-driver does.
 */

/** cassandra-driver's ReconnectionPolicy, as far as reconnecting needs it. */
export interface ReconnectionSchedules {
  newSchedule(): Iterator<number>;
}

/** Delays drawn per worker connection (sampleSchedule); enough for every schedule of cassandra-driver's policies. */
export const SCHEDULE_SAMPLE = 64;
/** The same delay this many times more in a row: the schedule has reached its plateau (a cap, or a constant). */
const PLATEAU = 8;
/** The longest Node.js timer (2^31-1 ms): a longer delay would fire after 1 ms. */
const MAX_DELAY_MS = 2147483647;
/** cassandra-driver's default policy, ExponentialReconnectionPolicy(1000, 10 min), without its jitter: for specs drawn without a policy. */
const DEFAULT_DELAYS: readonly number[] = defaultDelays();

function defaultDelays(): number[] {
  const out: number[] = [];
  for (let d = 1000; d < 600_000; d *= 2) out.push(d);
  out.push(600_000);
  return out;
}

/** A delay as setTimeout takes it, or -1 for a value that is not one (not a number, negative, NaN). */
function asDelay(v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0)) return -1;
  return Math.min(Math.floor(v), MAX_DELAY_MS);
}

/**
 * The first `max` delays of a new schedule of `policy`, with trailing repeats of the last one cut (the worker
 * repeats the last delay anyway). Stops early at the schedule's end, at a value that is not a delay, or once the
 * same delay came PLATEAU + 1 times in a row (a cap reached); a schedule that gives none (or throws at once) gives
 * cassandra-driver's default delays.
 */
export function sampleSchedule(policy: ReconnectionSchedules | null, max = SCHEDULE_SAMPLE): number[] {
  const out: number[] = [];
  if (policy !== null) {
    try {
      const it = policy.newSchedule();
      let same = 0;
      while (out.length < max && same < PLATEAU) {
        const r = it.next();
        const d = r.done === true ? -1 : asDelay(r.value);
        if (d < 0) break;
        same = out.length > 0 && out[out.length - 1] === d ? same + 1 : 0;
        out.push(d);
      }
    } catch {
      // A schedule that throws ends where it threw.
    }
  }
  if (out.length === 0) return DEFAULT_DELAYS.slice();
  while (out.length > 1 && out[out.length - 1] === out[out.length - 2]) out.pop();
  return out;
}

/** A schedule that replays `delays`, then repeats the last one (a worker connection's sample). */
export class SampledSchedules implements ReconnectionSchedules {
  private readonly delays: readonly number[];
  constructor(delays: readonly number[] | null | undefined) {
    this.delays = delays !== null && delays !== undefined && delays.length > 0 ? delays : DEFAULT_DELAYS;
  }
  *newSchedule(): Iterator<number> {
    const d = this.delays;
    for (let i = 0; ; i++) yield d[Math.min(i, d.length - 1)]!;
  }
}

/**
 * One connection's (or one retry loop's) reconnection schedule: `next()` is the delay before the next attempt;
 * `restart()` begins a new episode (the connection opened, or its host is said to be up), whose first `next()`
 * draws a new schedule from the policy. A schedule that ends or yields a value that is not a delay repeats the
 * last good delay (cassandra-driver's default first delay, 1 s, when there was none).
 */
export class ReconnectionSchedule {
  private current: Iterator<number> | null = null;
  private last = DEFAULT_DELAYS[0]!;

  constructor(private readonly policy: ReconnectionSchedules) {}

  restart(): void {
    this.current = null;
  }

  next(): number {
    try {
      if (this.current === null) this.current = this.policy.newSchedule();
      const r = this.current.next();
      const d = r.done === true ? -1 : asDelay(r.value);
      if (d >= 0) this.last = d;
    } catch {
      // A policy that throws: the last good delay again.
    }
    return this.last;
  }
}
