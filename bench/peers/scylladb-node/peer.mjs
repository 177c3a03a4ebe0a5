// shardcql benchmark peer: the seed's workload on @scylladb/driver (ScyllaDB's Node.js driver, built
// on scylla-rust-driver, with the cassandra-driver API), used as its docs recommend for throughput:
// one Client, prepared statements (execute with { prepare: true }), C concurrent async loops.
// Prints exactly one JSON line on stdout.
import { createRequire } from 'node:module';
import { closeSync, existsSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHistogram, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

// @scylladb/driver as bench:setup builds it from ../shared/peers/ (bench/.peers/, git-ignored; SCYLLADB_DRIVER_DIR
// overrides it), else npm's scylladb-driver-alpha (its 0.5 name) from this folder's node_modules.
const BUILT = process.env.SCYLLADB_DRIVER_DIR ?? fileURLToPath(new URL('../../.peers/scylladb-driver/nodejs-rs-driver/', import.meta.url));
const useBuilt = existsSync(join(BUILT, 'package.json'));
const require = createRequire(useBuilt ? join(BUILT, 'package.json') : import.meta.url);
const PKG = useBuilt ? '@scylladb/driver' : 'scylladb-driver-alpha';
const KEYSPACE_CQL = "CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
const TABLE_CQL = 'CREATE TABLE IF NOT EXISTS benchks.benchtab (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)';
const INSERT_CQL = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';
const SELECT_CQL = 'SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?';

function fail(msg) {
  process.stderr.write(`runner failed: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const a = {
    host: '127.0.0.1',
    port: 9042,
    workload: 'inserts',
    ops: 100000,
    concurrency: 1,
    createSchema: false,
    warmup: -1,
    populate: false,
    perfCtl: null,
    perfAck: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) fail(`${k} needs a value`);
      return argv[++i];
    };
    switch (k) {
      case '--host':
        a.host = v();
        break;
      case '--port':
        a.port = Number(v());
        break;
      case '--workload':
        a.workload = v();
        break;
      case '--ops':
        a.ops = Number(v());
        break;
      case '--concurrency':
        a.concurrency = Number(v());
        break;
      case '--warmup':
        a.warmup = Number(v());
        break;
      case '--perf-ctl':
        a.perfCtl = v();
        break;
      case '--perf-ack':
        a.perfAck = v();
        break;
      case '--create-schema':
        a.createSchema = true;
        break;
      case '--populate':
        a.populate = true;
        break;
      default:
        fail(`unknown argument ${k}`);
    }
  }
  if (!['inserts', 'selects', 'mixed'].includes(a.workload)) fail(`unknown workload ${a.workload}`);
  if (!(a.ops > 0 && a.concurrency > 0)) fail('--ops and --concurrency must be positive');
  if (a.warmup < 0) a.warmup = Math.min(20000, Math.ceil(a.ops / 10));
  a.warmup = Math.min(a.warmup, a.ops);
  return a;
}

const asNum = (v) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v?.toNumber ? v.toNumber() : NaN);

function mainThreadCpuUs() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return NaN;
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const driver = require(useBuilt ? './main.js' : PKG);
  const version = require(useBuilt ? './package.json' : `${PKG}/package.json`).version;
  const client = new driver.Client({
    contactPoints: [`${a.host}:${a.port}`],
    localDataCenter: 'datacenter1',
  });
  await client.connect();
  if (a.createSchema) {
    await client.execute(KEYSPACE_CQL);
    await client.execute(TABLE_CQL);
  }
  const opts = { prepare: true };
  // bigint columns as the driver's default has them: BigInt in @scylladb/driver 0.6 (it refuses a Long), Long before.
  const bigints = driver.defaultOptions?.().encoding?.useBigIntAsLong === true;
  const big = bigints ? BigInt : (n) => driver.types.Long.fromNumber(n);
  const insert = (pk) => client.execute(INSERT_CQL, [big(pk), big(2 * pk), big(3 * pk)], opts);
  const select = async (pk) => {
    const rs = await client.execute(SELECT_CQL, [big(pk)], opts);
    const r = rs.first();
    if (!r || asNum(r.pk) !== pk || asNum(r.v1) !== 2 * pk || asNum(r.v2) !== 3 * pk) {
      throw new Error(
        `select of pk ${pk} returned ${r ? `(${r.pk}, ${r.v1}, ${r.v2})` : 'no row'}, expected (${pk}, ${2 * pk}, ${3 * pk})`,
      );
    }
  };
  // Prepare both statements before the timer (a key outside 0..N-1).
  await insert(-1);
  await select(-1);

  const runLoops = async (mode, from, to, c, h) => {
    let next = from;
    const loop = async () => {
      for (;;) {
        const pk = next++;
        if (pk >= to) return;
        const t0 = performance.now();
        if (mode === 'inserts' || (mode === 'mixed' && (pk & 1) === 0)) await insert(pk);
        else await select(pk);
        if (h) h.record(Math.max(1, Math.round((performance.now() - t0) * 1e6)));
      }
    };
    const loops = [];
    for (let i = 0; i < c; i++) loops.push(loop());
    await Promise.all(loops);
  };
  if (a.populate && a.workload !== 'inserts') await runLoops('inserts', 0, a.ops, Math.max(a.concurrency, 256), null);
  if (a.warmup > 0) await runLoops(a.workload, 0, a.warmup, a.concurrency, null);
  globalThis.gc?.();

  let perf = null;
  if (a.perfCtl && a.perfAck) perf = { ctl: openSync(a.perfCtl, 'w'), ack: openSync(a.perfAck, 'r'), buf: Buffer.alloc(16) };
  const perfCmd = (c) => {
    if (perf) {
      writeSync(perf.ctl, `${c}\n`);
      readSync(perf.ack, perf.buf, 0, 16, null);
    }
  };

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
  perfCmd('enable');
  const t0 = performance.now();
  await runLoops(a.workload, 0, a.ops, a.concurrency, h);
  const ms = performance.now() - t0;
  perfCmd('disable');
  eld.disable();
  const main1 = mainThreadCpuUs();
  const cpu = process.cpuUsage(cpu0);
  const rssAfter = process.memoryUsage.rss();
  await new Promise((r) => setImmediate(r));
  obs.disconnect();
  const r1 = (v) => Math.round(v * 10) / 10;
  const r3 = (v) => Math.round(v * 1000) / 1000;
  const row = {
    driver: 'scylladb-node',
    driverVersion: `${PKG} ${version}`,
    workload: a.workload,
    concurrency: a.concurrency,
    ops: a.ops,
    opsPerSec: Math.round(a.ops / (ms / 1000)),
    p50Us: r1(h.percentile(50) / 1000),
    p99Us: r1(h.percentile(99) / 1000),
    p999Us: r1(h.percentile(99.9) / 1000),
    cpuUsPerOp: r3((cpu.user + cpu.system) / a.ops),
    mainThreadCpuUsPerOp: r3((main1 - main0) / a.ops),
    allocsPerOp: null,
    gcPerMillionOps: r1((gcCount * 1e6) / a.ops),
    gcMsPerMillionOps: r1((gcMs * 1e6) / a.ops),
    eventLoopDelayP99Us: r1(eld.percentile(99) / 1000),
    rssBeforeMb: r1(rssBefore / 1048576),
    rssAfterMb: r1(rssAfter / 1048576),
    notes: `Node ${process.version}; execute(..., { prepare: true }); ${a.concurrency} async loops; bigint as ${bigints ? 'BigInt' : 'Long'}`,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  process.exit(0);
}

main().catch((e) => fail(e?.stack ?? String(e)));
