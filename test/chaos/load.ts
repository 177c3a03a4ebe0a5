/**
 * A steady closed-loop load for the chaos scenarios: `concurrency` loops, each sending one prepared
 * statement at a time through the shardcql `Client`, alternating a non-idempotent counter increment on a
 * unique (run, id) and an idempotent read. Every outcome is counted by error class; every promise is
 * tracked until it settles, so a promise that never settles shows up as `lost`.
 *
 * Duplicated writes are found afterwards with the reference driver (cassandra-driver) straight on the
 * node: each increment targets its own counter cell, so a cell above 1 was applied twice.
 */
import { Client } from '@shardcql/client';

// This run's own (the node is shared: another run's dropSchema must not remove our counters mid-scenario).
export const KEYSPACE = `chaos_${process.pid}`;
export const COUNTERS = `${KEYSPACE}.counters`;
const INC = `UPDATE ${COUNTERS} SET c = c + 1 WHERE run = ? AND id = ?`;
const READ = `SELECT c FROM ${COUNTERS} WHERE run = ? AND id = ?`;

export interface LoadOptions {
  run: string;
  concurrency: number;
  /** Width of a throughput bucket. */
  bucketMs?: number;
  /**
   * Other statements than the counter pair (e.g. the stub's `benchks.benchtab`): the write (non-idempotent)
   * and the read (idempotent), with their values for an id.
   */
  statements?: { write: string; read: string; writeParams(id: number): unknown[]; readParams(id: number): unknown[] };
}

export interface LoadStats {
  sent: number;
  succeeded: number;
  failed: number;
  /** Error class name -> count. */
  errors: Record<string, number>;
  /** One sample error message per class, for the report. */
  samples: Record<string, string>;
  /** Requests that succeeded after the client retried them (triedHosts holds an error). */
  retried: number;
  /** Promises still pending `settleBoundMs` after the load stopped. */
  lost: number;
  writesSent: number;
  writesAcked: number;
  /** Successful operations per bucket, from the load's start. */
  buckets: number[];
  bucketMs: number;
  startedAt: number;
}

/** The error class a caller would test with `instanceof`: the constructor's name. */
export function errorClass(e: unknown): string {
  if (e instanceof Error) return e.constructor?.name && e.constructor.name !== 'Error' ? e.constructor.name : e.name;
  return typeof e;
}

export class SteadyLoad {
  readonly stats: LoadStats;
  readonly ackedIds: number[] = [];
  private stopping = false;
  private nextId = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private loops: Array<Promise<void>> = [];

  constructor(
    private readonly client: Client,
    private readonly opts: LoadOptions,
  ) {
    const bucketMs = opts.bucketMs ?? 100;
    this.stats = {
      sent: 0,
      succeeded: 0,
      failed: 0,
      errors: {},
      samples: {},
      retried: 0,
      lost: 0,
      writesSent: 0,
      writesAcked: 0,
      buckets: [],
      bucketMs,
      startedAt: 0,
    };
  }

  start(): void {
    this.stats.startedAt = Date.now();
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.loop(i));
  }

  private bucket(): void {
    const b = Math.floor((Date.now() - this.stats.startedAt) / this.stats.bucketMs);
    const arr = this.stats.buckets;
    while (arr.length <= b) arr.push(0);
    arr[b]!++;
  }

  private async loop(lane: number): Promise<void> {
    let write = (lane & 1) === 0;
    while (!this.stopping) {
      const id = write ? this.nextId++ : Math.max(0, this.nextId - 1 - lane);
      const st = this.opts.statements;
      const p = write
        ? this.client.execute(st?.write ?? INC, st ? st.writeParams(id) : [this.opts.run, id], { prepare: true, isIdempotent: false })
        : this.client.execute(st?.read ?? READ, st ? st.readParams(id) : [this.opts.run, id], { prepare: true, isIdempotent: true });
      this.pending.add(p);
      this.stats.sent++;
      if (write) this.stats.writesSent++;
      try {
        const rs = await p;
        this.stats.succeeded++;
        this.bucket();
        if (write) {
          this.stats.writesAcked++;
          this.ackedIds.push(id);
        }
        const tried = rs.info?.triedHosts as Record<string, unknown> | undefined;
        if (tried !== undefined && Object.values(tried).some((v) => v !== null && v !== undefined)) this.stats.retried++;
      } catch (e) {
        this.stats.failed++;
        const k = errorClass(e);
        this.stats.errors[k] = (this.stats.errors[k] ?? 0) + 1;
        if (this.stats.samples[k] === undefined) this.stats.samples[k] = String((e as Error)?.message ?? e).slice(0, 200);
        // A failing fast path would spin: pace the lane a little, as an application backing off would.
        await new Promise((r) => setTimeout(r, 5));
      } finally {
        this.pending.delete(p);
      }
      write = !write;
    }
  }

  /** Stops sending; waits up to `settleBoundMs` for every promise in flight. Unsettled ones count as lost. */
  async stop(settleBoundMs: number): Promise<LoadStats> {
    this.stopping = true;
    const all = Promise.all(this.loops);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, settleBoundMs)))]);
    clearTimeout(timer);
    this.stats.lost = this.pending.size;
    return this.stats;
  }

  /** Successful ops per second over [fromMs, toMs) since the start. */
  throughput(fromMs: number, toMs: number): number {
    const b = this.stats.bucketMs;
    let n = 0;
    for (let i = Math.floor(fromMs / b); i < Math.floor(toMs / b); i++) n += this.stats.buckets[i] ?? 0;
    return (n * 1000) / Math.max(1, toMs - fromMs);
  }

  /**
   * Time from `faultEndMs` (since the start) until a `windowMs` window first reaches `fraction` of
   * `baseline` ops/s; null when it never does before `untilMs`.
   */
  recoveryMs(faultEndMs: number, baseline: number, untilMs: number, fraction = 0.8, windowMs = 500): number | null {
    const b = this.stats.bucketMs;
    for (let t = Math.floor(faultEndMs / b) * b; t + windowMs <= untilMs; t += b) {
      if (this.throughput(t, t + windowMs) >= fraction * baseline) return Math.max(0, t - faultEndMs);
    }
    return null;
  }
}

/** Cells of `run` above 1 (applied twice) and acked ids with no cell (acknowledged but lost). */
export async function checkWrites(
  run: string,
  ackedIds: number[],
  contact = '127.0.0.1:9042',
): Promise<{ duplicated: number; ackedMissing: number; cells: number }> {
  const cassandra = (await import('cassandra-driver')).default;
  const ref = new cassandra.Client({ contactPoints: [contact], localDataCenter: 'dc1', protocolOptions: { maxVersion: 4 } });
  await ref.connect();
  try {
    const seen = new Map<number, number>();
    const rows = ref.stream(`SELECT id, c FROM ${COUNTERS} WHERE run = ?`, [run], { prepare: true, fetchSize: 5000 });
    for await (const r of rows as unknown as AsyncIterable<{ id: number; c: { toNumber(): number } }>) seen.set(r.id, r.c.toNumber());
    let duplicated = 0;
    for (const v of seen.values()) if (v > 1) duplicated++;
    let ackedMissing = 0;
    for (const id of ackedIds) if (!seen.has(id)) ackedMissing++;
    return { duplicated, ackedMissing, cells: seen.size };
  } finally {
    await ref.shutdown();
  }
}

/** The keyspace and the counter table, created with the reference driver. */
export async function ensureSchema(contact = '127.0.0.1:9042'): Promise<void> {
  const cassandra = (await import('cassandra-driver')).default;
  const ref = new cassandra.Client({ contactPoints: [contact], localDataCenter: 'dc1', protocolOptions: { maxVersion: 4 } });
  await ref.connect();
  try {
    await ref.execute(`CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await ref.execute(`CREATE TABLE IF NOT EXISTS ${COUNTERS} (run text, id int, c counter, PRIMARY KEY (run, id))`);
  } finally {
    await ref.shutdown();
  }
}

/**
 * Drops the chaos keyspace (each file that creates it drops it in its afterAll: the node is shared). Not
 * when SHARDCQL_CHAOS_KEEP=1, to look at the counters after a run.
 */
export async function dropSchema(contact = '127.0.0.1:9042'): Promise<void> {
  if (process.env['SHARDCQL_CHAOS_KEEP'] === '1') return;
  const cassandra = (await import('cassandra-driver')).default;
  const ref = new cassandra.Client({ contactPoints: [contact], localDataCenter: 'dc1', protocolOptions: { maxVersion: 4 } });
  await ref.connect();
  try {
    await ref.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
  } finally {
    await ref.shutdown();
  }
}
