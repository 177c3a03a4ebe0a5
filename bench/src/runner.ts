// One benchmark run in its own process (started by cli.ts, pinned with taskset, possibly under
// `perf stat`): connect, create the schema, prepare, warm up, then run `ops` operations from
// `concurrency` concurrent loops that share one key counter, and print one result line.
// Usage: node --import tsx bench/src/runner.ts '<RunnerArgs as JSON>' (shardcql from its build: run `tsc -b` first)

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { createHistogram, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDriver, type BenchDriver } from './drivers';
import { KEYSPACE_CQL, TABLE_CQL, type Compression } from './drivers/driver';
import { mainThreadCpuUs } from './thread-cpu';

export type Workload = 'inserts' | 'selects' | 'mixed';

export interface RunnerArgs {
  driver: string;
  server: string;
  workload: Workload;
  concurrency: number;
  ops: number;
  warmup: number;
  host: string;
  port: number;
  /** Insert keys 0..ops-1 before the timer (a real server, for selects/mixed). */
  populate: boolean;
  /** Protocol compression the driver negotiates (absent: none). */
  compression?: Compression;
  /** perf stat --control fifos: counting is enabled only around the timed loop. */
  perfCtl?: string;
  perfAck?: string;
}

/** What the runner measures; cli.ts adds server, syscallsPerOp and the median over repeats. */
export interface RunnerResult {
  driver: string;
  workload: Workload;
  compression: Compression;
  concurrency: number;
  ops: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  cpuUsPerOp: number;
  mainThreadCpuUsPerOp: number;
  gcPerMillionOps: number;
  gcMsPerMillionOps: number;
  eventLoopDelayP99Us: number;
  rssBeforeMb: number;
  rssAfterMb: number;
}

export const RESULT_MARKER = 'BENCH_RESULT ';

const WL_INSERTS = 0;
const WL_SELECTS = 1;
const WL_MIXED = 2;

/** Shared by the loops: the next key to hand out, and the end of the range. */
class KeyCounter {
  next = 0;
  end = 0;
}

// One loop of W; the latency histogram records nanoseconds. No closure or object per op.
async function loop(d: BenchDriver, mode: number, keys: KeyCounter, h: ReturnType<typeof createHistogram> | null): Promise<void> {
  for (;;) {
    const pk = keys.next++;
    if (pk >= keys.end) return;
    const t0 = performance.now();
    if (mode === WL_INSERTS || (mode === WL_MIXED && (pk & 1) === 0)) await d.insert(pk);
    else await d.select(pk);
    if (h !== null) {
      const ns = Math.round((performance.now() - t0) * 1e6);
      h.record(ns > 0 ? ns : 1);
    }
  }
}

async function runLoops(
  d: BenchDriver,
  mode: number,
  from: number,
  to: number,
  concurrency: number,
  h: ReturnType<typeof createHistogram> | null,
): Promise<void> {
  const keys = new KeyCounter();
  keys.next = from;
  keys.end = to;
  const loops: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) loops.push(loop(d, mode, keys, h));
  await Promise.all(loops);
}

/** perf stat --control: write a command, wait for its "ack". The fds stay open for the run. */
class PerfControl {
  private readonly ctl: number;
  private readonly ack: number;
  private readonly buf = Buffer.alloc(16);
  constructor(ctlPath: string, ackPath: string) {
    this.ctl = openSync(ctlPath, 'w');
    this.ack = openSync(ackPath, 'r');
  }
  command(cmd: 'enable' | 'disable'): void {
    writeSync(this.ctl, `${cmd}\n`);
    readSync(this.ack, this.buf, 0, this.buf.length, null);
  }
  close(): void {
    closeSync(this.ctl);
    closeSync(this.ack);
  }
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

export async function runBenchmark(a: RunnerArgs): Promise<RunnerResult> {
  const mode = a.workload === 'inserts' ? WL_INSERTS : a.workload === 'selects' ? WL_SELECTS : WL_MIXED;
  const perf = a.perfCtl && a.perfAck ? new PerfControl(a.perfCtl, a.perfAck) : null;
  const d = createDriver(a.driver);
  const compression = a.compression ?? 'none';
  await d.connect(a.host, a.port, { compression });
  try {
    await d.run(KEYSPACE_CQL);
    await d.run(TABLE_CQL);
    await d.prepare();
    if (a.populate && mode !== WL_INSERTS) await runLoops(d, WL_INSERTS, 0, a.ops, Math.max(a.concurrency, 256), null);
    if (a.warmup > 0) await runLoops(d, mode, 0, Math.min(a.warmup, a.ops), a.concurrency, null);
    // Let the warm-up's garbage go before measuring, so runs start from the same state. Not with
    // --expose-gc on the command line: Worker rejects that flag in an inherited execArgv.
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();

    const h = createHistogram();
    const eld = monitorEventLoopDelay({ resolution: 10 });
    let gcCount = 0;
    let gcMs = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcCount++;
        gcMs += e.duration;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const rssBefore = process.memoryUsage.rss();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuUs();
    eld.enable();
    perf?.command('enable');
    const t0 = performance.now();
    await runLoops(d, mode, 0, a.ops, a.concurrency, h);
    const elapsedMs = performance.now() - t0;
    perf?.command('disable');
    eld.disable();
    const main1 = mainThreadCpuUs();
    const cpu1 = process.cpuUsage(cpu0);
    const rssAfter = process.memoryUsage.rss();
    await new Promise((r) => setImmediate(r)); // deliver the last gc entries
    obs.disconnect();
    perf?.close();

    const ops = a.ops;
    return {
      driver: a.driver,
      workload: a.workload,
      compression,
      concurrency: a.concurrency,
      ops,
      opsPerSec: Math.round(ops / (elapsedMs / 1000)),
      p50Us: round(h.percentile(50) / 1000, 1),
      p99Us: round(h.percentile(99) / 1000, 1),
      p999Us: round(h.percentile(99.9) / 1000, 1),
      cpuUsPerOp: round((cpu1.user + cpu1.system) / ops, 3),
      mainThreadCpuUsPerOp: round((main1 - main0) / ops, 3),
      gcPerMillionOps: round((gcCount * 1e6) / ops, 1),
      gcMsPerMillionOps: round((gcMs * 1e6) / ops, 1),
      eventLoopDelayP99Us: round(eld.percentile(99) / 1000, 1),
      rssBeforeMb: mb(rssBefore),
      rssAfterMb: mb(rssAfter),
    };
  } finally {
    await d.close();
  }
}

if (require.main === module) {
  const args = JSON.parse(process.argv[2] ?? '{}') as RunnerArgs;
  runBenchmark(args).then(
    (r) => {
      process.stdout.write(RESULT_MARKER + JSON.stringify(r) + '\n');
      // Drivers may keep timers or workers alive after close; the result is out, so leave.
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`runner failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
