/**
 * Reconnection schedules (cassandra-driver `lib/policies/reconnection.js`): `policies.reconnection` gives the delays
 * between the attempts of every connection that failed or was lost: the shard workers' (a sample of a schedule per
 * connection, drawn on the client's thread: @shardcql/shard-worker connection-set/schedule.ts says why), the direct
 * lane's and the engine's shard refill (a new schedule per episode). A host the cluster says is UP starts over.
 */
export class ReconnectionPolicy {
  newSchedule(): Iterator<number> {
    throw new Error('You must implement a new schedule for the Reconnection class');
  }
  getOptions(): Map<string, unknown> {
    return new Map();
  }
}

export class ConstantReconnectionPolicy extends ReconnectionPolicy {
  constructor(readonly delay: number) {
    super();
  }
  override *newSchedule(): Iterator<number> {
    for (;;) yield this.delay;
  }
  override getOptions(): Map<string, unknown> {
    return new Map<string, unknown>([['delay', this.delay]]);
  }
}

/**
 * Delay doubles from `baseDelay` up to `maxDelay`, with +-15% jitter (as cassandra-driver 4.x). Unlike
 * cassandra-driver's, whose 64th delay and all after it are 0 (its index stops at 63 and 0 is yielded there), the
 * schedule stays at `maxDelay` for good.
 */
export class ExponentialReconnectionPolicy extends ReconnectionPolicy {
  readonly startWithNoDelay: boolean;
  // startWithNoDelay without a default value keeps the constructor's arity (3) that of cassandra-driver.
  constructor(
    readonly baseDelay: number,
    readonly maxDelay: number,
    startWithNoDelay?: boolean,
  ) {
    super();
    this.startWithNoDelay = startWithNoDelay === true;
  }
  override *newSchedule(): Iterator<number> {
    if (this.startWithNoDelay) yield 0;
    let index = 0;
    for (;;) {
      const delay = index < 64 - 1 ? Math.min(Math.pow(2, index++) * this.baseDelay, this.maxDelay) : this.maxDelay;
      yield delay < this.maxDelay ? addJitter(delay) : this.maxDelay;
    }
  }
  override getOptions(): Map<string, unknown> {
    return new Map<string, unknown>([
      ['baseDelay', this.baseDelay],
      ['maxDelay', this.maxDelay],
      ['startWithNoDelay', this.startWithNoDelay],
    ]);
  }
}

function addJitter(value: number): number {
  if (value === 0) return value;
  const jitter = Math.floor(value * 0.15 * (Math.random() * 2 - 1));
  return Math.max(1, value + jitter);
}
