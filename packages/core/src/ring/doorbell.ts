import { ArgumentError } from '../errors';
import { waitAsync } from './atomics-wait';
import { DOORBELL_AWAKE, DOORBELL_BYTES, DOORBELL_SLEEPING, DOORBELL_STATE } from './layout';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Wakes a consumer thread that sleeps on all its rings at once.
 *
 * Protocol (no lost wake-ups):
 *   consumer: prepareToSleep()  -> Atomics.store(state, SLEEPING)
 *             re-check every ring (Atomics.load of each TAIL); if one has records: cancelSleep(), drain
 *             else wait()           -> Atomics.waitAsync(state, expected SLEEPING)
 *   producer: publish()          -> Atomics.store(TAIL)
 *             ring()              -> Atomics.load(state); only if SLEEPING: compareExchange to AWAKE + notify
 * All these are seq-cst, so in their single total order either the consumer's load of TAIL follows the
 * producer's store (it sees the record and does not wait), or the producer's load of the state follows the
 * consumer's store of SLEEPING (it sets AWAKE and notifies). In the second case, if the consumer has not yet
 * entered waitAsync, waitAsync finds AWAKE != SLEEPING and returns at once; if it has, notify wakes it.
 * With several producers only the one whose compareExchange wins notifies; the woken consumer drains all its
 * rings before it sleeps again, so the others' records are seen too.
 */
export class Doorbell {
  /** A buffer for one doorbell; share it with every producer that feeds this consumer. */
  static createBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(DOORBELL_BYTES);
  }

  private readonly state: Int32Array;
  private readonly onWake: () => void;

  constructor(sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < DOORBELL_BYTES) {
      throw new ArgumentError(`Doorbell needs a SharedArrayBuffer of at least ${DOORBELL_BYTES} bytes`);
    }
    this.state = new Int32Array(sab, 0, DOORBELL_BYTES >> 2);
    const state = this.state;
    // Bound once: the wake continuation must not allocate a closure per wait.
    this.onWake = () => {
      Atomics.store(state, DOORBELL_STATE, DOORBELL_AWAKE);
    };
  }

  /** Producer side, after publish: one Atomics.load when the consumer is awake; notify only if it sleeps. */
  ring(): void {
    const s = this.state;
    if (
      Atomics.load(s, DOORBELL_STATE) === DOORBELL_SLEEPING &&
      Atomics.compareExchange(s, DOORBELL_STATE, DOORBELL_SLEEPING, DOORBELL_AWAKE) === DOORBELL_SLEEPING
    ) {
      Atomics.notify(s, DOORBELL_STATE, 1);
    }
  }

  /** Consumer: announce sleep. Then re-check every ring; then wait() or cancelSleep(). */
  prepareToSleep(): void {
    Atomics.store(this.state, DOORBELL_STATE, DOORBELL_SLEEPING);
  }

  /** Consumer: a re-check found records; stay awake. */
  cancelSleep(): void {
    Atomics.store(this.state, DOORBELL_STATE, DOORBELL_AWAKE);
  }

  /** True while the consumer has announced sleep and no producer has rung. */
  get sleeping(): boolean {
    return Atomics.load(this.state, DOORBELL_STATE) === DOORBELL_SLEEPING;
  }

  /**
   * Consumer: sleep until rung or `timeoutMs` passes. Resolves immediately when a producer rang since
   * prepareToSleep() (or when prepareToSleep() was not called). Never blocks the thread (Atomics.waitAsync),
   * so the main thread may use it. The doorbell is AWAKE again when the promise resolves.
   */
  wait(timeoutMs: number = Infinity): Promise<void> {
    const r = waitAsync(this.state, DOORBELL_STATE, DOORBELL_SLEEPING, timeoutMs);
    if (!r.async) {
      this.onWake();
      return RESOLVED;
    }
    return r.value.then(this.onWake);
  }

  /**
   * Consumer on a thread that may block (a worker without its own I/O; never the main thread): as wait(),
   * with Atomics.wait.
   */
  waitSync(timeoutMs: number = Infinity): void {
    Atomics.wait(this.state, DOORBELL_STATE, DOORBELL_SLEEPING, timeoutMs);
    this.onWake();
  }
}
