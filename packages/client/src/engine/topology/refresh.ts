/**
 * When the topology is read again: which server events call for which refresh, and the debounced refresh
 * scheduler (the cluster runs the refreshes, cluster/).
 */
import type { CqlEvent } from '@shardcql/core';

/** Refresh bits. */
export const REFRESH_TOPOLOGY = 1;
export const REFRESH_KEYSPACES = 2;

/** Which refresh a server event calls for (native_protocol_v4.spec section 4.2.6): a REFRESH_* mask. */
export function refreshFor(event: CqlEvent): number {
  switch (event.type) {
    case 'TOPOLOGY_CHANGE':
    case 'STATUS_CHANGE':
      return REFRESH_TOPOLOGY;
    case 'SCHEMA_CHANGE':
      // Only keyspace replication feeds routing; table/type/function changes are the facade's metadata.
      return event.target === 'KEYSPACE' ? REFRESH_KEYSPACES : 0;
    default:
      return 0;
  }
}

/**
 * Coalesces refresh requests: the first one opens a window of `windowMs`; everything asked for until it
 * closes runs in one refresh. Refreshes never overlap: what is asked for during one runs right after it.
 * Events come in bursts (a node joining sends NEW_NODE then UP; a DDL sends one SCHEMA_CHANGE per node in
 * some versions), and each refresh is three queries plus a plan rebuild.
 */
export class RefreshScheduler {
  private pending = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Number of refreshes run (for tests and logs). */
  runs = 0;

  constructor(
    private readonly windowMs: number,
    private readonly run: (what: number) => Promise<void>,
    private readonly onError: (e: Error) => void,
  ) {}

  request(what: number): void {
    if (what === 0 || this.stopped) return;
    this.pending |= what;
    if (this.timer !== null || this.running !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, this.windowMs);
    this.timer.unref();
  }

  /** Runs what is pending (plus `what`) now, and resolves when no refresh is left to run. */
  async now(what: number): Promise<void> {
    this.pending |= what;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.drain();
  }

  private async drain(): Promise<void> {
    while (this.running !== null) await this.running;
    if (this.pending === 0 || this.stopped) return;
    const what = this.pending;
    this.pending = 0;
    this.runs++;
    this.running = this.run(what).catch((e: unknown) => this.onError(e instanceof Error ? e : new Error(String(e))));
    try {
      await this.running;
    } finally {
      this.running = null;
    }
    if (this.pending !== 0 && this.timer === null && !this.stopped) await this.drain();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
