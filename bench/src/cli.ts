// The benchmark CLI:
//   npm run bench -- --drivers shardcql,cassandra-driver --server stub|cassandra
//     --workload inserts|selects|mixed --ops N --concurrency 1,64,1024,4096 --json FILE [--repeat K]
//     [--compression lz4|snappy|none]
// It starts the stub pinned to CPU 1 (or expects a Cassandra node at --host:--port), and for each
// concurrency runs the drivers alternately (--repeat K rounds, the driver order rotating per round),
// each run in a fresh child process pinned to CPU 0, under `perf stat` counting syscalls only
// during the timed loop when perf works. Each configuration's median row is appended to --json as
// one JSON line; --raw FILE also keeps every run's row.

import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DRIVER_NAMES } from './drivers';
import { COMPRESSIONS, type Compression } from './drivers/driver';
import { RESULT_MARKER, type RunnerArgs, type RunnerResult, type Workload } from './runner';
import { startStub, type StubProcess } from '../../test/simulator/stub';
import { printTable, type Column } from './table';
import { fetchSupported } from './supported';

/** One JSON row: what the runner measured, plus the server and the syscalls perf counted around it. */
export interface BenchRow extends RunnerResult {
  server: string;
  syscallsPerOp: number | null;
}

const NUMERIC_FIELDS = [
  'opsPerSec',
  'p50Us',
  'p99Us',
  'p999Us',
  'cpuUsPerOp',
  'mainThreadCpuUsPerOp',
  'syscallsPerOp',
  'gcPerMillionOps',
  'eventLoopDelayP99Us',
  'gcMsPerMillionOps',
  'rssBeforeMb',
  'rssAfterMb',
] as const;

interface Options {
  drivers: string[];
  server: 'stub' | 'cassandra';
  workload: Workload;
  ops: number;
  concurrency: number[];
  repeat: number;
  warmup: number | null;
  json: string | null;
  raw: string | null;
  host: string;
  port: number;
  pin: boolean;
  perf: boolean;
  serverPid: number | null;
  stubV5: boolean;
  stubShards: number;
  populate: boolean;
  timeoutSec: number;
  compression: Compression;
}

const USAGE = `usage: npm run bench -- [options]
  --drivers a,b          drivers to run (${DRIVER_NAMES.join(', ')}); default all
  --server stub|cassandra default stub (cassandra: a node already running at --host:--port)
  --workload inserts|selects|mixed   default inserts
  --ops N                operations per run, default 200000
  --concurrency 1,64,... concurrent loops, default 1,64,1024,4096
  --repeat K             runs per driver and concurrency (median reported), default 1
  --warmup N             untimed operations before each run, default min(20000, ops/10)
  --json FILE            append one JSON line per configuration (medians)
  --raw FILE             append one JSON line per run
  --host H --port P      server address (cassandra; default 127.0.0.1:9042)
  --server-pid PID       pin this server process to CPU 1 (taskset -acp 1 PID)
  --stub-v5 --stub-shards N   stub options
  --no-populate          selects/mixed on cassandra: do not insert keys 0..N-1 first
  --compression lz4|snappy|none   protocol compression the drivers negotiate, default none
                         (checked against the server's SUPPORTED; drivers without it are skipped)
  --no-pin --no-perf     disable CPU pinning / syscall counting
  --timeout SEC          per run, default 600`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    drivers: [...DRIVER_NAMES],
    server: 'stub',
    workload: 'inserts',
    ops: 200_000,
    concurrency: [1, 64, 1024, 4096],
    repeat: 1,
    warmup: null,
    json: null,
    raw: null,
    host: '127.0.0.1',
    port: 9042,
    pin: true,
    perf: true,
    serverPid: null,
    stubV5: false,
    stubShards: 0,
    populate: true,
    timeoutSec: 600,
    compression: 'none',
  };
  const cwd = process.env['INIT_CWD'] ?? process.cwd(); // npm run changes cwd to the package dir
  const file = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const int = (): number => {
      const v = Number(val());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    switch (a) {
      case '--drivers':
        o.drivers = val().split(',').filter(Boolean);
        break;
      case '--server': {
        const s = val();
        if (s !== 'stub' && s !== 'cassandra') throw new Error(`--server stub|cassandra, not ${s}`);
        o.server = s;
        break;
      }
      case '--workload': {
        const w = val();
        if (w !== 'inserts' && w !== 'selects' && w !== 'mixed') throw new Error(`--workload inserts|selects|mixed, not ${w}`);
        o.workload = w;
        break;
      }
      case '--ops':
        o.ops = int();
        break;
      case '--concurrency':
        o.concurrency = val()
          .split(',')
          .map((c) => {
            const n = Number(c);
            if (!Number.isInteger(n) || n < 1) throw new Error(`bad concurrency ${c}`);
            return n;
          });
        break;
      case '--repeat':
        o.repeat = Math.max(1, int());
        break;
      case '--warmup':
        o.warmup = int();
        break;
      case '--json':
        o.json = file(val());
        break;
      case '--raw':
        o.raw = file(val());
        break;
      case '--host':
        o.host = val();
        break;
      case '--port':
        o.port = int();
        break;
      case '--server-pid':
        o.serverPid = int();
        break;
      case '--stub-v5':
        o.stubV5 = true;
        break;
      case '--stub-shards':
        o.stubShards = int();
        break;
      case '--no-populate':
        o.populate = false;
        break;
      case '--no-pin':
        o.pin = false;
        break;
      case '--no-perf':
        o.perf = false;
        break;
      case '--timeout':
        o.timeoutSec = int();
        break;
      case '--compression': {
        const c = val();
        const known = COMPRESSIONS.find((k) => k === c);
        if (known === undefined) throw new Error(`--compression ${COMPRESSIONS.join('|')}, not ${c}`);
        o.compression = known;
        break;
      }
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  for (const d of o.drivers) if (!DRIVER_NAMES.includes(d)) throw new Error(`unknown driver ${d}`);
  return o;
}

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** perf works when it can count the syscall tracepoint and has --control (perf 5.10+). */
function perfWorks(): string | null {
  try {
    const out = execFileSync('perf', ['stat', '-e', 'raw_syscalls:sys_enter', '-x,', '-D', '-1', '--control', 'fd:0', '--', 'true'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    void out;
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const RUNNER = join(__dirname, 'runner.ts');

interface RunOutcome {
  result?: RunnerResult;
  syscalls: number | null;
  error?: string;
}

function runOnce(o: Options, args: RunnerArgs, usePerf: boolean, tmp: string, seq: number): Promise<RunOutcome> {
  // The runner is TypeScript (tsx), but shardcql resolves to its build (dist/), as users run it: from the
  // sources (--conditions=source, transpiled by tsx) the same runs were ~20% slower (getter-based imports).
  const node = [process.execPath, '--import', 'tsx', RUNNER];
  let cmd: string[] = o.pin ? ['taskset', '-c', '0', ...node] : node;
  const perfOut = join(tmp, `perf-${seq}.csv`);
  if (usePerf) {
    const ctl = join(tmp, `ctl-${seq}`);
    const ack = join(tmp, `ack-${seq}`);
    execFileSync('mkfifo', [ctl, ack]);
    args = { ...args, perfCtl: ctl, perfAck: ack };
    cmd = [
      'perf',
      'stat',
      '-D',
      '-1',
      '--control',
      `fifo:${ctl},${ack}`,
      '-e',
      'raw_syscalls:sys_enter',
      '-x,',
      '-o',
      perfOut,
      '--',
      ...cmd,
    ];
  }
  return new Promise((done) => {
    const child = spawn(cmd[0]!, [...cmd.slice(1), JSON.stringify(args)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutSec * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || line === undefined) {
        const lines = err.split('\n').filter((l) => l && !/^Events (en|dis)abled/.test(l));
        const at = lines.findIndex((l) => l.startsWith('runner failed:'));
        const why = (at >= 0 ? lines.slice(at, at + 4) : lines.slice(-6)).join('\n  ');
        done({ syscalls: null, error: `exit ${code ?? signal}: ${why || out.slice(-500)}` });
        return;
      }
      let syscalls: number | null = null;
      if (usePerf) {
        try {
          const m = /^(\d+),[^,]*,raw_syscalls:sys_enter/m.exec(readFileSync(perfOut, 'utf8'));
          if (m) syscalls = Number(m[1]);
        } catch {
          /* no perf output: syscalls stay unknown */
        }
      }
      done({ result: JSON.parse(line.slice(RESULT_MARKER.length)) as RunnerResult, syscalls });
    });
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function medianRow(rows: BenchRow[]): BenchRow {
  const out = { ...rows[0]! };
  for (const f of NUMERIC_FIELDS) {
    const vals = rows.map((r) => r[f]).filter((v): v is number => v !== null);
    (out as Record<string, unknown>)[f] = vals.length === rows.length ? median(vals) : null;
  }
  return out;
}

function printRows(rows: BenchRow[]): void {
  const cols: Column<BenchRow>[] = [
    ['driver', (r) => r.driver],
    ['compr', (r) => r.compression],
    ['conc', (r) => String(r.concurrency)],
    ['ops/s', (r) => String(Math.round(r.opsPerSec))],
    ['p50 µs', (r) => String(r.p50Us)],
    ['p99 µs', (r) => String(r.p99Us)],
    ['p999 µs', (r) => String(r.p999Us)],
    ['cpu µs/op', (r) => r.cpuUsPerOp.toFixed(2)],
    ['main µs/op', (r) => r.mainThreadCpuUsPerOp.toFixed(2)],
    ['syscalls/op', (r) => (r.syscallsPerOp === null ? 'n/a' : r.syscallsPerOp.toFixed(3))],
    ['gc/Mop', (r) => String(r.gcPerMillionOps)],
    ['gc ms/Mop', (r) => String(r.gcMsPerMillionOps)],
    ['eld p99 µs', (r) => String(r.eventLoopDelayP99Us)],
    ['rss MB', (r) => `${r.rssBeforeMb}->${r.rssAfterMb}`],
  ];
  printTable(cols, rows);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  // Runs measure the built packages: build them first (a no-op when up to date).
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (o.pin && (availableParallelism() < 2 || !commandWorks('taskset', ['-c', '1', 'true']))) {
    console.warn('warning: fewer than 2 CPUs or no taskset: running unpinned');
    o.pin = false;
  }
  let usePerf = false;
  if (o.perf) {
    const why = perfWorks();
    usePerf = why === null;
    if (!usePerf) console.warn(`warning: perf stat cannot count syscalls (${why}): syscallsPerOp = null`);
  }
  let stub: StubProcess | null = null;
  let host = o.host;
  let port = o.port;
  if (o.server === 'stub') {
    stub = await startStub({ host: '127.0.0.1', port: 0, cpu: o.pin ? 1 : undefined, v5: o.stubV5, shards: o.stubShards });
    host = stub.host;
    port = stub.port;
  } else if (o.serverPid !== null && o.pin) {
    execFileSync('taskset', ['-acp', '1', String(o.serverPid)], { stdio: 'ignore' });
  }
  const stopStub = (): void => {
    if (stub !== null && stub.child.exitCode === null) process.kill(stub.pid, 'SIGTERM');
  };
  if (o.compression !== 'none') {
    // Drivers fall back to no compression when the server does not offer the one asked: refuse the
    // run rather than label uncompressed rows as compressed.
    const offered =
      (
        await fetchSupported(host, port).catch((e: unknown) => {
          stopStub();
          throw e;
        })
      )['COMPRESSION'] ?? [];
    if (!offered.includes(o.compression)) {
      stopStub();
      throw new Error(
        `the server at ${host}:${port} does not offer ${o.compression} compression (SUPPORTED COMPRESSION: [${offered.join(', ')}])`,
      );
    }
  }
  process.once('SIGINT', () => {
    stopStub();
    process.exit(130);
  });
  const tmp = mkdtempSync(join(tmpdir(), 'shardcql-bench-'));
  const warmup = o.warmup ?? Math.min(20_000, Math.ceil(o.ops / 10));
  console.log(
    `server ${o.server} at ${host}:${port}; ${o.workload}, ${o.ops} ops, warmup ${warmup}, repeat ${o.repeat}; ` +
      `pinning ${o.pin ? 'client CPU 0, server CPU 1' : 'off'}; syscalls ${usePerf ? 'perf stat (timed loop only)' : 'not counted'}; ` +
      `compression ${o.compression}`,
  );

  const failed = new Map<string, string>();
  const medians: BenchRow[] = [];
  let seq = 0;
  try {
    for (const concurrency of o.concurrency) {
      const perDriver = new Map<string, BenchRow[]>();
      for (let rep = 0; rep < o.repeat; rep++) {
        const order = rep % 2 === 0 ? o.drivers : [...o.drivers].reverse();
        for (const driver of order) {
          if (failed.has(driver)) continue;
          const args: RunnerArgs = {
            driver,
            server: o.server,
            workload: o.workload,
            concurrency,
            ops: o.ops,
            warmup,
            host,
            port,
            populate: o.server !== 'stub' && o.populate,
            compression: o.compression,
          };
          const r = await runOnce(o, args, usePerf, tmp, seq++);
          if (r.result === undefined) {
            failed.set(driver, r.error ?? 'unknown error');
            console.error(`driver ${driver} failed (skipped from now on):\n  ${r.error}`);
            continue;
          }
          const { driver: _d, workload: _w, concurrency: _c, ops: _o, ...m } = r.result;
          const row: BenchRow = {
            driver,
            server: o.server,
            workload: o.workload,
            compression: m.compression,
            concurrency,
            ops: o.ops,
            opsPerSec: m.opsPerSec,
            p50Us: m.p50Us,
            p99Us: m.p99Us,
            p999Us: m.p999Us,
            cpuUsPerOp: m.cpuUsPerOp,
            mainThreadCpuUsPerOp: m.mainThreadCpuUsPerOp,
            syscallsPerOp: r.syscalls === null ? null : Math.round((r.syscalls / o.ops) * 1000) / 1000,
            gcPerMillionOps: m.gcPerMillionOps,
            eventLoopDelayP99Us: m.eventLoopDelayP99Us,
            gcMsPerMillionOps: m.gcMsPerMillionOps,
            rssBeforeMb: m.rssBeforeMb,
            rssAfterMb: m.rssAfterMb,
          };
          if (o.raw) appendFileSync(o.raw, JSON.stringify(row) + '\n');
          console.log(
            `  ${driver} c=${concurrency} run ${rep + 1}/${o.repeat}: ${row.opsPerSec} ops/s, p50 ${row.p50Us} µs, ` +
              `syscalls/op ${row.syscallsPerOp ?? 'n/a'}`,
          );
          let list = perDriver.get(driver);
          if (list === undefined) perDriver.set(driver, (list = []));
          list.push(row);
        }
      }
      for (const driver of o.drivers) {
        const rows = perDriver.get(driver);
        if (rows === undefined || rows.length === 0) continue;
        const med = medianRow(rows);
        medians.push(med);
        if (o.json) appendFileSync(o.json, JSON.stringify(med) + '\n');
      }
    }
  } finally {
    stopStub();
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log('');
  printRows(medians);
  for (const [d, e] of failed) console.log(`\n${d}: FAILED: ${e}`);
  if (failed.size > 0 && medians.length === 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
