#!/usr/bin/env node
// A stand-alone sweep over the peers (the main CLI runs them too): each run is a fresh peer process
// pinned to CPU 0 (taskset), under `perf stat` counting syscalls of the timed loop only (--control
// fifos), against a stub this script starts pinned to CPU 1 with the flags the peer needs.
//   node bench/peers/sweep.mjs --peers gocql,scylla-rust --workload inserts --ops 100000 \
//     --concurrency 1,1024 --repeat 3 --out bench/results/peers.jsonl [--stub-bin PATH] [--no-perf]
//     [--server cassandra --host H --port P]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEERS = JSON.parse(readFileSync(join(ROOT, 'bench/peers/peers.json'), 'utf8'));

const o = {
  peers: Object.keys(PEERS).filter((k) => k !== '//'),
  server: 'stub',
  host: '127.0.0.7',
  port: 9042,
  workload: 'inserts',
  ops: 100000,
  concurrency: [1, 1024],
  repeat: 1,
  out: null,
  perf: true,
  stubBin: join(ROOT, 'test/simulator/.bin/cql-stub'),
  createSchema: true,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const v = () => argv[++i];
  switch (argv[i]) {
    case '--peers':
      o.peers = v().split(',');
      break;
    case '--server':
      o.server = v();
      break;
    case '--host':
      o.host = v();
      break;
    case '--port':
      o.port = Number(v());
      break;
    case '--workload':
      o.workload = v();
      break;
    case '--ops':
      o.ops = Number(v());
      break;
    case '--concurrency':
      o.concurrency = v().split(',').map(Number);
      break;
    case '--repeat':
      o.repeat = Number(v());
      break;
    case '--out':
      o.out = v();
      break;
    case '--stub-bin':
      o.stubBin = resolve(v());
      break;
    case '--no-perf':
      o.perf = false;
      break;
    default:
      console.error(`unknown argument ${argv[i]}`);
      process.exit(2);
  }
}

const perfOk =
  o.perf &&
  spawnSync('perf', ['stat', '-e', 'raw_syscalls:sys_enter', '-x,', '-D', '-1', '--control', 'fd:0', '--', 'true'], { stdio: 'ignore' })
    .status === 0;
if (o.perf && !perfOk) console.error('warning: perf stat cannot count syscalls here: syscallsPerOp = null');

function startStub(flags) {
  const p = spawn('taskset', ['-c', '1', o.stubBin, '-addr', `${o.host}:${o.port}`, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, ko) => {
    p.stdout.on('data', (d) => {
      if (/listening/.test(String(d))) ok(p);
    });
    p.on('exit', (c) => ko(new Error(`stub exited ${c}`)));
  });
}

function runPeer(name, c, tmp, seq) {
  const spec = PEERS[name];
  const peerArgs = [
    '--host',
    o.host,
    '--port',
    String(o.port),
    '--workload',
    o.workload,
    '--ops',
    String(o.ops),
    '--concurrency',
    String(c),
    ...(o.createSchema ? ['--create-schema'] : []),
    ...(o.server !== 'stub' ? ['--populate'] : []),
  ];
  let cmd = ['taskset', '-c', '0', ...spec.cmd.map((p, i) => (i === 0 && p.startsWith('bench/') ? join(ROOT, p) : p)), ...peerArgs];
  const perfOut = join(tmp, `perf-${seq}.csv`);
  if (perfOk) {
    const ctl = join(tmp, `ctl-${seq}`);
    const ack = join(tmp, `ack-${seq}`);
    execFileSync('mkfifo', [ctl, ack]);
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
      '--perf-ctl',
      ctl,
      '--perf-ack',
      ack,
    ];
  }
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, ...(spec.env ?? {}) },
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line)
    throw new Error(`${name} c=${c}: exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  const row = JSON.parse(line);
  let syscalls = null;
  if (perfOk) {
    const m = /^(\d+),[^,]*,raw_syscalls:sys_enter/m.exec(readFileSync(perfOut, 'utf8'));
    if (m) syscalls = Math.round((Number(m[1]) / o.ops) * 1000) / 1000;
  }
  return { ...row, driver: name, server: o.server, syscallsPerOp: syscalls };
}

const tmp = mkdtempSync(join(tmpdir(), 'peer-sweep-'));
let seq = 0;
let failed = 0;
try {
  for (const name of o.peers) {
    if (!PEERS[name]) {
      console.error(`unknown peer ${name}`);
      failed++;
      continue;
    }
    const stub = o.server === 'stub' ? await startStub(PEERS[name].stub) : null;
    try {
      for (const c of o.concurrency) {
        for (let run = 0; run < o.repeat; run++) {
          try {
            const row = { ...runPeer(name, c, tmp, seq++), run };
            console.log(
              `${name.padEnd(17)} c=${String(c).padStart(4)} run ${run}: ${row.opsPerSec} ops/s  p50 ${row.p50Us} µs  p99 ${row.p99Us} µs  ` +
                `cpu ${row.cpuUsPerOp} µs/op  syscalls/op ${row.syscallsPerOp}  allocs/op ${row.allocsPerOp}`,
            );
            if (o.out) appendFileSync(o.out, `${JSON.stringify(row)}\n`);
          } catch (e) {
            failed++;
            console.error(String(e.message ?? e));
          }
        }
      }
    } finally {
      stub?.kill('SIGTERM');
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
