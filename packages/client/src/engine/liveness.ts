/**
 * Whether another thread of this process is still alive, through shared memory only (handle-engine.ts: a
 * handle thread and its owner probe each other this way; a MessagePort would tell, but a handle is a plain
 * structured clone and cannot carry one).
 *
 * A cell is two Int32 words [waiter word, acknowledgements]. The watched thread keeps one Atomics.waitAsync
 * waiter on the first word and, once woken, re-arms it before it adds 1 to the second. V8 drops a thread's
 * waiters when the thread ends (exit or terminate()). So a probe whose Atomics.notify wakes no one, made after
 * the thread acknowledged the previous wake, means the thread is gone. A thread busy in long synchronous work
 * has not acknowledged yet: it is skipped, never taken for gone. A pending waitAsync keeps no event loop alive.
 */
interface AtomicsWaitAsync {
  waitAsync(i32: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}
const atomics = Atomics as unknown as AtomicsWaitAsync;

/** Words per cell. */
export const LIVENESS_CELL = 2;

/** The watched side: answers probes until stop(). One per cell. */
export class LivenessWaiter {
  private stopped = false;

  constructor(
    private readonly words: Int32Array,
    private readonly at: number,
  ) {
    this.onWake = this.onWake.bind(this);
    this.arm();
  }

  private arm(): void {
    const r = atomics.waitAsync(this.words, this.at, 0);
    if (r.async) void r.value.then(this.onWake);
  }

  private onWake(): void {
    if (this.stopped) return;
    this.arm();
    Atomics.add(this.words, this.at + 1, 1);
  }

  /** Wakes the pending waiter for good: it would otherwise hold this object (and what it references) for ever. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.notify(this.words, this.at);
  }
}

/** The watching side. One prober per cell. */
export class LivenessProber {
  private woke = false;
  private ack: number;

  constructor(
    private readonly words: Int32Array,
    private readonly at: number,
  ) {
    this.ack = Atomics.load(words, at + 1);
  }

  /** False once the watched thread is known to be gone; true while it is, or may be, alive. */
  probe(): boolean {
    const ack = Atomics.load(this.words, this.at + 1);
    if (this.woke && ack === this.ack) return true;
    this.ack = ack;
    this.woke = Atomics.notify(this.words, this.at, 1) === 1;
    return this.woke;
  }
}
