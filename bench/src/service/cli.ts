// The service benchmark (npm run bench:service): for each configuration (driver, CPU work per request,
// queries per request, inline or piscina, closed loop or a fixed rate) and round, a fresh service process
// (server.ts) pinned to CPU 0, loaded by autocannon from this process pinned to CPU 1 (with the stub, when
// the server is the stub), after a warm-up. The drivers alternate within each configuration, their order
// reversed every other round; each configuration's median row goes to --json, every run's to --raw.
//   npm run bench:service -- --server stub|cassandra --drivers shardcql,cassandra-driver,scylladb-node
//     --work 200,1000 --queries 2 --modes inline,piscina --connections 64 --rates 0,800
//     --seconds 15 --warmup 4 --rounds 3 [--threads 2] [--atomics disabled|async|sync] [--other-threads-cpu 1] [--json FILE] [--raw FILE] [--no-profile] [--no-pin]

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { printTable, type Column } from '../table';
import { createSchema, SERVICE_DRIVERS, type ServiceDriver } from './db';
import { runLoad, type LoadResult } from './load';
import type { ServiceArgs, ServiceMode, WindowStats } from './server';

interface Options {
  drivers: ServiceDriver[];
  server: 'stub' | 'cassandra';
  host: string;
  port: number;
  workUs: number[];
  queries: number[];
  modes: ServiceMode[];
  connections: number;
  rates: number[];
  seconds: number;
  warmup: number;
  rounds: number;
  threads: number;
  atomics: 'sync' | 'async' | 'disabled';
  /** Move every thread of the service but its main thread to this CPU once it is up (null: all on CPU 0). */
  otherThreadsCpu: number | null;
  json: string | null;
  raw: string | null;
  profile: boolean;
  pin: boolean;
}

/** One run's figures: the load generator's and the service's. */
export interface ServiceRow {
  driver: ServiceDriver;
  server: string;
  mode: ServiceMode;
  /** Where the service's threads other than the main one ran: null, CPU 0 with it. */
  otherThreadsCpu: number | null;
  workUs: number;
  units: number;
  queries: number;
  connections: number;
  targetRate: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  failed: number;
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  mainThreadCpuUsPerRequest: number;
  processCpuUsPerRequest: number;
  /** The driver's share of the main thread's busy time (profile.ts); null without --profile. */
  driverShareOfMain: number | null;
  /** driverShareOfMain x main-thread CPU per request. */
  driverMainUsPerRequest: number | null;
  gcShareOfMain: number | null;
  idleShareOfMain: number | null;
}

const NUMERIC: (keyof ServiceRow)[] = [
  'requestsPerSec',
  'p50Ms',
  'p99Ms',
  'p999Ms',
  'failed',
  'eventLoopDelayP50Ms',
  'eventLoopDelayP99Ms',
  'eventLoopDelayMaxMs',
  'mainThreadCpuUsPerRequest',
  'processCpuUsPerRequest',
  'driverShareOfMain',
  'driverMainUsPerRequest',
  'gcShareOfMain',
  'idleShareOfMain',
];

const list = (v: string): string[] => v.split(',').filter(Boolean);
const nums = (v: string): number[] =>
  list(v).map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n) || n < 0) throw new Error(`not a number: ${x}`);
    return n;
  });

function parseArgs(argv: string[]): Options {
  const o: Options = {
    drivers: [...SERVICE_DRIVERS],
    server: 'stub',
    host: '127.0.0.1',
    port: 9042,
    workUs: [200, 1000],
    queries: [2],
    modes: ['inline', 'piscina'],
    connections: 64,
    rates: [0],
    seconds: 15,
    warmup: 4,
    rounds: 3,
    threads: 2,
    atomics: 'disabled',
    otherThreadsCpu: null,
    json: null,
    raw: null,
    profile: true,
    pin: true,
  };
  const cwd = process.env['INIT_CWD'] ?? process.cwd();
  const file = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--drivers':
        o.drivers = list(val()).map((d) => {
          const known = SERVICE_DRIVERS.find((k) => k === d);
          if (known === undefined) throw new Error(`unknown driver ${d} (known: ${SERVICE_DRIVERS.join(', ')})`);
          return known;
        });
        break;
      case '--server': {
        const s = val();
        if (s !== 'stub' && s !== 'cassandra') throw new Error(`--server stub|cassandra, not ${s}`);
        o.server = s;
        break;
      }
      case '--host':
        o.host = val();
        break;
      case '--port':
        o.port = Number(val());
        break;
      case '--work':
        o.workUs = nums(val());
        break;
      case '--queries':
        o.queries = nums(val()).map((q) => {
          if (q < 1 || q > 3) throw new Error('--queries: 1, 2 or 3');
          return q;
        });
        break;
      case '--modes':
        o.modes = list(val()).map((m) => {
          if (m !== 'inline' && m !== 'piscina') throw new Error(`--modes inline,piscina, not ${m}`);
          return m;
        });
        break;
      case '--connections':
        o.connections = Number(val());
        break;
      case '--rates':
        o.rates = nums(val());
        break;
      case '--seconds':
        o.seconds = Number(val());
        break;
      case '--warmup':
        o.warmup = Number(val());
        break;
      case '--rounds':
        o.rounds = Math.max(1, Number(val()));
        break;
      case '--threads':
        o.threads = Math.max(1, Number(val()));
        break;
      case '--atomics': {
        const v = val();
        if (v !== 'sync' && v !== 'async' && v !== 'disabled') throw new Error(`--atomics sync|async|disabled, not ${v}`);
        o.atomics = v;
        break;
      }
      case '--other-threads-cpu':
        o.otherThreadsCpu = Number(val());
        break;
      case '--json':
        o.json = file(val());
        break;
      case '--raw':
        o.raw = file(val());
        break;
      case '--no-profile':
        o.profile = false;
        break;
      case '--no-pin':
        o.pin = false;
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const NODE_TSX = [process.execPath, '--import', 'tsx'];

function pinned(o: Options, cpu: number, cmd: string[]): string[] {
  return o.pin ? ['taskset', '-c', String(cpu), ...cmd] : cmd;
}

/** µs per CPU-work unit, measured once on the service's CPU. */
function calibrate(o: Options): number {
  const [cmd, ...args] = pinned(o, 0, [...NODE_TSX, join(__dirname, 'cpu-work.ts')]);
  const out = execFileSync(cmd!, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').pop()!) as { usPerUnit: number }).usPerUnit;
}

function post(port: number, path: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((ok, ko) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? ok(body) : ko(new Error(`${path}: HTTP ${res.statusCode} ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', ko);
    req.end();
  });
}

function startService(o: Options, args: ServiceArgs): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, ...rest] = pinned(o, 0, [...NODE_TSX, join(__dirname, 'server.ts'), JSON.stringify(args)]);
  const child = spawn(cmd!, rest, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, ko) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      ko(new Error(`service did not start in 60 s: ${err.slice(-800)}`));
    }, 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      ko(new Error(`service exited ${code}: ${err.trim().split('\n').slice(-6).join(' | ')}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      ok({ child, port: Number(m[1]) });
    });
  });
}

/**
 * Every thread of `pid` but the main one (the drivers' workers or runtime threads, piscina's, V8's and libuv's)
 * to `cpu`: the main thread keeps CPU 0 to itself. All are up by then (the service listens after connecting).
 */
function moveOtherThreads(pid: number, cpu: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (tid !== String(pid)) execFileSync('taskset', ['-pc', String(cpu), tid], { stdio: 'ignore' });
  }
}

function stopService(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      done();
    });
    child.kill('SIGTERM');
  });
}

interface Config {
  workUs: number;
  units: number;
  queries: number;
  mode: ServiceMode;
  rate: number;
}

async function runOne(o: Options, serverLabel: string, host: string, port: number, c: Config, driver: ServiceDriver): Promise<ServiceRow> {
  const args: ServiceArgs = {
    address: { driver, host, port },
    shape: { units: c.units, queries: c.queries },
    mode: c.mode,
    threads: o.threads,
    atomics: o.atomics,
    profile: o.profile,
  };
  const svc = await startService(o, args);
  try {
    if (o.otherThreadsCpu !== null) moveOtherThreads(svc.child.pid!, o.otherThreadsCpu);
    const url = `http://127.0.0.1:${svc.port}/`;
    const spec = { connections: o.connections, rate: c.rate, seconds: o.seconds };
    if (o.warmup > 0) await runLoad(url, { ...spec, seconds: o.warmup });
    await post(svc.port, '/_bench/start');
    const load: LoadResult = await runLoad(url, spec);
    const s = JSON.parse(await post(svc.port, '/_bench/stop')) as WindowStats;
    if (s.firstError !== null) console.error(`  ${driver}: ${s.errors} failed requests, first: ${s.firstError}`);
    const r3 = (v: number): number => Math.round(v * 1000) / 1000;
    const r1 = (v: number): number => Math.round(v * 10) / 10;
    const share = s.shares === null ? null : r3(s.shares.driverOfBusy);
    return {
      driver,
      server: serverLabel,
      mode: c.mode,
      otherThreadsCpu: o.otherThreadsCpu,
      workUs: c.workUs,
      units: c.units,
      queries: c.queries,
      connections: o.connections,
      targetRate: c.rate,
      requestsPerSec: load.requestsPerSec,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      p999Ms: load.p999Ms,
      failed: load.non2xx + load.errors,
      eventLoopDelayP50Ms: r3(s.eventLoopDelayP50Ms),
      eventLoopDelayP99Ms: r3(s.eventLoopDelayP99Ms),
      eventLoopDelayMaxMs: r3(s.eventLoopDelayMaxMs),
      mainThreadCpuUsPerRequest: r1(s.mainThreadCpuUsPerRequest),
      processCpuUsPerRequest: r1(s.processCpuUsPerRequest),
      driverShareOfMain: share,
      driverMainUsPerRequest: share === null ? null : r1(share * s.mainThreadCpuUsPerRequest),
      gcShareOfMain: s.shares === null ? null : r3(s.shares.gc / (1 - s.shares.idle || 1)),
      idleShareOfMain: s.shares === null ? null : r3(s.shares.idle),
    };
  } finally {
    await stopService(svc.child);
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function medianRow(rows: ServiceRow[]): ServiceRow {
  const out: Record<string, unknown> = { ...rows[0]! };
  for (const f of NUMERIC) {
    const vals = rows.map((r) => r[f]).filter((v): v is number => typeof v === 'number');
    out[f] = vals.length === rows.length ? Math.round(median(vals) * 1000) / 1000 : null;
  }
  return out as unknown as ServiceRow;
}

function printRows(rows: ServiceRow[]): void {
  const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  const cols: Column<ServiceRow>[] = [
    ['driver', (r) => r.driver],
    ['mode', (r) => (r.otherThreadsCpu === null ? r.mode : `${r.mode}, threads on CPU ${r.otherThreadsCpu}`)],
    ['work', (r) => `${r.workUs}us`],
    ['q', (r) => String(r.queries)],
    ['load', (r) => (r.targetRate > 0 ? `${r.targetRate}/s` : `c=${r.connections}`)],
    ['req/s', (r) => String(Math.round(r.requestsPerSec))],
    ['p50 ms', (r) => r.p50Ms.toFixed(2)],
    ['p99 ms', (r) => r.p99Ms.toFixed(2)],
    ['p99.9 ms', (r) => r.p999Ms.toFixed(2)],
    ['eld p99 ms', (r) => r.eventLoopDelayP99Ms.toFixed(2)],
    ['eld max ms', (r) => r.eventLoopDelayMaxMs.toFixed(1)],
    ['main us/req', (r) => r.mainThreadCpuUsPerRequest.toFixed(0)],
    ['cpu us/req', (r) => r.processCpuUsPerRequest.toFixed(0)],
    ['driver/main', (r) => pct(r.driverShareOfMain)],
    ['driver us/req', (r) => (r.driverMainUsPerRequest === null ? 'n/a' : r.driverMainUsPerRequest.toFixed(0))],
    ['gc/main', (r) => pct(r.gcShareOfMain)],
    ['failed', (r) => String(r.failed)],
  ];
  printTable(cols, rows);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (o.pin && availableParallelism() < 2) {
    console.warn('warning: fewer than 2 CPUs: running unpinned');
    o.pin = false;
  }
  // The load generator (this process) shares CPU 1 with the stub; the service has CPU 0 to itself.
  if (o.pin) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const usPerUnit = calibrate(o);
  let stub: StubProcess | null = null;
  let host = o.host;
  let port = o.port;
  if (o.server === 'stub') {
    stub = await startStub({ host: '127.0.0.1', port: 0, cpu: o.pin ? 1 : undefined });
    host = stub.host;
    port = stub.port;
  }
  const medians: ServiceRow[] = [];
  const failedDrivers = new Map<string, string>();
  try {
    await createSchema({ driver: 'cassandra-driver', host, port });
    console.log(
      `server ${o.server} at ${host}:${port}; CPU work ${usPerUnit.toFixed(2)} µs/unit; ${o.connections} connections; ` +
        `${o.seconds} s per run after ${o.warmup} s of warm-up; ${o.rounds} rounds; pinning ${o.pin ? 'service CPU 0, load + stub CPU 1' : 'off'}; ` +
        `main-thread profile ${o.profile ? 'on' : 'off'}` +
        (o.otherThreadsCpu === null ? '' : `; the service's other threads moved to CPU ${o.otherThreadsCpu}`),
    );
    for (const workUs of o.workUs) {
      for (const queries of o.queries) {
        for (const mode of o.modes) {
          for (const rate of o.rates) {
            const c: Config = { workUs, units: Math.max(0, Math.round(workUs / usPerUnit)), queries, mode, rate };
            const per = new Map<ServiceDriver, ServiceRow[]>();
            for (let round = 0; round < o.rounds; round++) {
              const order = round % 2 === 0 ? o.drivers : [...o.drivers].reverse();
              for (const driver of order) {
                if (failedDrivers.has(driver)) continue;
                try {
                  const row = await runOne(o, o.server, host, port, c, driver);
                  if (o.raw) appendFileSync(o.raw, `${JSON.stringify({ ...row, round })}\n`);
                  console.log(
                    `  ${driver} ${mode} ${workUs}us q${queries} ${rate > 0 ? `${rate}/s` : `c=${o.connections}`} round ${round + 1}: ` +
                      `${row.requestsPerSec} req/s, p99 ${row.p99Ms} ms, eld p99 ${row.eventLoopDelayP99Ms} ms, driver ${row.driverShareOfMain ?? 'n/a'} of main`,
                  );
                  let l = per.get(driver);
                  if (l === undefined) per.set(driver, (l = []));
                  l.push(row);
                } catch (e) {
                  const msg = e instanceof Error ? e.message : String(e);
                  failedDrivers.set(driver, msg);
                  console.error(`driver ${driver} failed (skipped from now on): ${msg}`);
                }
              }
            }
            for (const d of o.drivers) {
              const rows = per.get(d);
              if (rows === undefined || rows.length === 0) continue;
              const m = medianRow(rows);
              medians.push(m);
              if (o.json) appendFileSync(o.json, `${JSON.stringify(m)}\n`);
            }
          }
        }
      }
    }
  } finally {
    await stub?.stop();
  }
  console.log('');
  printRows(medians);
  for (const [d, e] of failedDrivers) console.log(`\n${d}: FAILED: ${e}`);
  if (medians.length === 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
