#!/usr/bin/env node
// The whole benchmark in one invocation (`npm run bench:full`): every driver and peer, every workload, the
// concurrency sweep, against the stub and against a real Cassandra node, the stub's ceiling, and
// bench/REPORT.md made from exactly these rows. Every step is one of the documented commands (bench CLI,
// peers/sweep.mjs, stub-ceiling, report), run one after the other, never two at a time.
//
//   node bench/full-sweep.mjs [--repeat 3] [--out-dir DIR] [--no-cassandra] [--quick] [--report FILE]
//
// --quick: one run of each, few operations, two concurrencies (checks the pipeline, not a measurement).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const o = { repeat: 3, outDir: null, cassandra: true, quick: false, report: join(ROOT, 'bench', 'REPORT.md') };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  switch (argv[i]) {
    case '--repeat':
      o.repeat = Number(argv[++i]);
      break;
    case '--out-dir':
      o.outDir = resolve(argv[++i]);
      break;
    case '--no-cassandra':
      o.cassandra = false;
      break;
    case '--quick':
      o.quick = true;
      break;
    case '--report':
      o.report = resolve(argv[++i]);
      break;
    default:
      console.error(
        `unknown argument ${argv[i]}\nusage: node bench/full-sweep.mjs [--repeat 3] [--out-dir DIR] [--no-cassandra] [--quick] [--report FILE]`,
      );
      process.exit(2);
  }
}
if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new Error('--repeat needs an integer >= 1');
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = o.outDir ?? join(ROOT, 'bench', 'results', `full-${stamp}`);
mkdirSync(outDir, { recursive: true });
const rows = join(outDir, 'rows.jsonl');
const logFile = join(outDir, 'sweep.log');
const repeat = o.quick ? 1 : o.repeat;

// Drivers run by the bench CLI (Node) and peers run by sweep.mjs (their own processes).
// scylladb-node: @scylladb/driver as bench:setup builds it from ../shared/peers/ (reported as failed when not built).
const NODE_DRIVERS = ['shardcql', 'cassandra-driver', 'scylladb-node'];
const PEERS = ['gocql', 'scylla-go-driver', 'scylla-rust', 'python'];
const WORKLOADS = ['inserts', 'selects', 'mixed'];
const STUB_CONC = o.quick ? [1, 1024] : [1, 64, 256, 1024, 2048, 4096];
const CASS_CONC = o.quick ? [1, 64] : [1, 64, 1024];
// Operations per run: ~1 s or more of the fastest driver (shorter runs measured JIT warm-up and GC timing more
// than the driver: 100,000 gave shardcql 153k ops/s where 300,000 gave 260k), bounded for the slow ones.
const stubOps = (c, slow) => (o.quick ? 2000 : c === 1 ? 10_000 : slow ? 30_000 : 300_000);
const cassOps = (c) => (o.quick ? 1000 : c === 1 ? 3000 : 30_000);
const SLOW = new Set(['python']);

function log(msg) {
  const line = `[${new Date().toISOString().slice(11, 19)}] ${msg}`;
  console.log(line);
  appendFileSync(logFile, line + '\n');
}

const commands = [];
function run(cmd, args, env = {}) {
  const shown = `${Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join('')}${cmd} ${args.join(' ')}`;
  commands.push(shown);
  log(`$ ${shown}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  appendFileSync(logFile, String(r.stdout) + String(r.stderr));
  if (r.status !== 0) log(`  exit ${r.status}: ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  return r;
}

function group(list, ops) {
  const m = new Map();
  for (const c of list) {
    const k = ops(c);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(c);
  }
  return [...m.entries()];
}

const t0 = Date.now();
// ---- 1. the stub ----------------------------------------------------------------------------------
for (const workload of WORKLOADS) {
  const drivers = NODE_DRIVERS;
  for (const [ops, conc] of group(STUB_CONC, (c) => stubOps(c, false))) {
    run('npm', [
      'run',
      '--silent',
      'bench',
      '--',
      '--drivers',
      drivers.join(','),
      '--server',
      'stub',
      '--workload',
      workload,
      '--ops',
      String(ops),
      '--concurrency',
      conc.join(','),
      '--repeat',
      String(repeat),
      '--json',
      rows,
    ]);
  }
  for (const peer of PEERS) {
    for (const [ops, conc] of group(STUB_CONC, (c) => stubOps(c, SLOW.has(peer)))) {
      run('node', [
        'bench/peers/sweep.mjs',
        '--peers',
        peer,
        '--workload',
        workload,
        '--ops',
        String(ops),
        '--concurrency',
        conc.join(','),
        '--repeat',
        String(repeat),
        '--out',
        rows,
      ]);
    }
  }
}
// The cost of per-shard metrics: shardcql with and without them, alternating, at concurrency 1024.
run('npm', [
  'run',
  '--silent',
  'bench',
  '--',
  '--drivers',
  'shardcql,shardcql-nometrics',
  '--server',
  'stub',
  '--workload',
  'inserts',
  '--ops',
  String(stubOps(1024, false)),
  '--concurrency',
  '1024',
  '--repeat',
  String(o.quick ? 1 : 3 * repeat),
  '--json',
  rows,
]);
// Compression: shardcql only (cassandra-driver 4.10 has no protocol compression).
for (const compression of ['lz4', 'snappy']) {
  run('npm', [
    'run',
    '--silent',
    'bench',
    '--',
    '--drivers',
    'shardcql',
    '--server',
    'stub',
    '--workload',
    'inserts',
    '--ops',
    String(stubOps(1024, false)),
    '--concurrency',
    o.quick ? '1024' : '64,1024',
    '--repeat',
    String(repeat),
    '--compression',
    compression,
    '--json',
    rows,
  ]);
}
const ceiling = run('npm', ['run', '--silent', 'bench:stub-ceiling', '--', '--seconds', o.quick ? '2' : '5']);
writeFileSync(join(outDir, 'stub-ceiling.txt'), String(ceiling.stdout));

// ---- 2. a real Cassandra node ---------------------------------------------------------------------
if (o.cassandra) {
  const db = (...a) => execFileSync('node', ['scripts/db.mjs', ...a], { cwd: ROOT, encoding: 'utf8' });
  // `status` exits 1 when nothing runs; its JSON is on stdout either way.
  const status = spawnSync('node', ['scripts/db.mjs', 'status', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const wasUp = JSON.parse(status.stdout || '{}').nodes?.some?.((n) => n.alive) ?? false;
  if (!wasUp) {
    log('starting Cassandra (scripts/db.mjs start)');
    db('start');
  }
  try {
    const pid = Number(readFileSync(join(ROOT, '.db', 'node1', 'cassandra.pid'), 'utf8').trim());
    for (const workload of ['inserts', 'selects']) {
      for (const [ops, conc] of group(CASS_CONC, cassOps)) {
        run(
          'npm',
          [
            'run',
            '--silent',
            'bench',
            '--',
            '--drivers',
            NODE_DRIVERS.join(','),
            '--server',
            'cassandra',
            '--server-pid',
            String(pid),
            '--workload',
            workload,
            '--ops',
            String(ops),
            '--concurrency',
            conc.join(','),
            '--repeat',
            String(repeat),
            '--json',
            rows,
          ],
          { SHARDCQL_BENCH_DC: 'dc1' },
        );
        // scylla-go-driver talks to ScyllaDB only (it needs the shard options in SUPPORTED; on Cassandra it
        // reports every node down), so it runs against the stub's simulator only.
        for (const peer of PEERS.filter((p) => p !== 'scylla-go-driver')) {
          run('node', [
            'bench/peers/sweep.mjs',
            '--peers',
            peer,
            '--server',
            'cassandra',
            '--host',
            '127.0.0.1',
            '--port',
            '9042',
            '--workload',
            workload,
            '--ops',
            String(ops),
            '--concurrency',
            conc.join(','),
            '--repeat',
            String(repeat),
            '--out',
            rows,
          ]);
        }
      }
    }
  } finally {
    if (!wasUp) {
      log('stopping Cassandra');
      db('stop');
    }
  }
}

// ---- 3. the report --------------------------------------------------------------------------------
const minutes = ((Date.now() - t0) / 60000).toFixed(1);
const invocation = `node bench/full-sweep.mjs ${process.argv.slice(2).join(' ')}`.trim();
run('node', ['bench/report/report.mjs', '--in', rows, '--out', o.report, '--cmd', invocation]);
const ceilingLine = String(ceiling.stdout)
  .split('\n')
  .filter((l) => /inserts\/s|ops\/s|ceiling/i.test(l))
  .join('\n');
appendFileSync(
  o.report,
  `
## How this run was made

One invocation, \`${invocation}\`, from ${new Date(t0).toISOString().slice(0, 16)} UTC, ${minutes} minutes; every
row above comes from it (rows: \`${rowsPath()}\`, log of every command and its output: \`${rowsPath(logFile)}\`). It
ran these commands, one at a time:

\`\`\`sh
${commands.join('\n')}
\`\`\`

The stub's own ceiling (\`npm run bench:stub-ceiling\`, raw sockets, pipelined prepared inserts, no driver), measured
in the same invocation:

\`\`\`
${ceilingLine.trim() || String(ceiling.stdout).trim()}
\`\`\`
`,
);
log(`done in ${minutes} min: ${o.report}`);

function rowsPath(p = rows) {
  return p.startsWith(ROOT) ? p.slice(ROOT.length + 1) : p;
}
