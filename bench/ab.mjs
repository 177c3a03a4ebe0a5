#!/usr/bin/env node
// A/B of shardcql's small-request path between two checkouts (both built with `npx tsc -b`): alternates
// `npm run bench` runs of the same workload from each tree, the order flipped every pair, and prints the medians.
// Usage: node bench/ab.mjs --base DIR --head DIR [--pairs 5] [--workload inserts] [--concurrency 1024] [--ops 300000]
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
const a = process.argv.slice(2);
const opt = (k, d) => {
  const i = a.indexOf('--' + k);
  return i >= 0 ? a[i + 1] : d;
};
const base = opt('base'),
  head = opt('head'),
  pairs = Number(opt('pairs', '5'));
const workload = opt('workload', 'inserts'),
  conc = opt('concurrency', '1024'),
  ops = opt('ops', '300000');
if (!base || !head || !(pairs >= 1)) {
  console.error('usage: node bench/ab.mjs --base DIR --head DIR [--pairs N>=1] [--workload W] [--concurrency C] [--ops N]');
  process.exit(2);
}
const runs = { base: [], head: [] };
function run(name, dir) {
  const f = `/tmp/ab-${process.pid}-${name}.json`;
  rmSync(f, { force: true });
  execFileSync(
    'npm',
    [
      'run',
      '--silent',
      'bench',
      '--',
      '--drivers',
      'shardcql',
      '--server',
      'stub',
      '--workload',
      workload,
      '--ops',
      ops,
      '--concurrency',
      conc,
      '--json',
      f,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const r = JSON.parse(readFileSync(f, 'utf8').trim().split('\n').pop());
  runs[name].push(r);
  console.error(
    `${name}: ${Math.round(r.opsPerSec)} ops/s, main ${r.mainThreadCpuUsPerOp.toFixed(3)} µs/op, cpu ${r.cpuUsPerOp.toFixed(3)}`,
  );
}
for (let p = 0; p < pairs; p++) {
  if (p % 2 === 0) {
    run('base', base);
    run('head', head);
  } else {
    run('head', head);
    run('base', base);
  }
}
const med = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const m = (n, k) => med(runs[n].map((r) => r[k]));
const out = {
  workload,
  concurrency: Number(conc),
  ops: Number(ops),
  pairs,
  baseOps: m('base', 'opsPerSec'),
  headOps: m('head', 'opsPerSec'),
  ratio: m('head', 'opsPerSec') / m('base', 'opsPerSec'),
  baseMain: m('base', 'mainThreadCpuUsPerOp'),
  headMain: m('head', 'mainThreadCpuUsPerOp'),
  baseCpu: m('base', 'cpuUsPerOp'),
  headCpu: m('head', 'cpuUsPerOp'),
};
console.log(JSON.stringify(out));
