#!/usr/bin/env node
// npm run bench:report -- --in FILE.jsonl [--in MORE.jsonl] [--out bench/REPORT.md] [--plots DIR]
//   [--title TEXT] [--pinning TEXT] [--cmd "command that produced the data"]...
// Turns benchmark rows (one JSON object a line: driver, server, workload, concurrency, ops, opsPerSec,
// p50Us, p99Us, p999Us, cpuUsPerOp, and optionally mainThreadCpuUsPerOp, syscallsPerOp, allocsPerOp,
// gcPerMillionOps, eventLoopDelayP99Us, driverVersion, run, compression) into a markdown report: per server
// and workload a table of medians with min–max spread over repeats, and SVG line charts drawn here. A row
// with a compression other than none is its own series, named "driver (lz4)", next to the uncompressed one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const o = { in: [], out: 'bench/REPORT.md', plots: null, title: 'shardcql benchmark report', pinning: null, cmd: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const v = () => {
    if (i + 1 >= argv.length) die(`${argv[i]} needs a value`);
    return argv[++i];
  };
  switch (argv[i]) {
    case '--in':
      o.in.push(v());
      break;
    case '--out':
      o.out = v();
      break;
    case '--plots':
      o.plots = v();
      break;
    case '--title':
      o.title = v();
      break;
    case '--pinning':
      o.pinning = v();
      break;
    case '--cmd':
      o.cmd.push(v());
      break;
    default:
      die(`unknown argument ${argv[i]}`);
  }
}
if (o.in.length === 0) die('usage: report.mjs --in FILE.jsonl [--out bench/REPORT.md] [--plots DIR] [--pinning TEXT] [--cmd TEXT]');
const outPath = resolve(o.out);
const plotDir = resolve(o.plots ?? join(dirname(outPath), 'report', 'plots'));

function die(msg) {
  console.error(`bench:report: ${msg}`);
  process.exit(2);
}

// ---- read rows -------------------------------------------------------------------------------
const rows = [];
for (const f of o.in) {
  readFileSync(f, 'utf8')
    .split('\n')
    .forEach((line, n) => {
      const t = line.trim();
      if (!t || t.startsWith('#')) return;
      let r;
      try {
        r = JSON.parse(t);
      } catch {
        die(`${f}:${n + 1}: not JSON`);
      }
      for (const k of ['driver', 'workload', 'concurrency', 'opsPerSec']) if (r[k] === undefined) die(`${f}:${n + 1}: no ${k}`);
      r.server ??= 'unknown';
      r.compression ??= 'none';
      if (r.compression !== 'none') r.driver = `${r.driver} (${r.compression})`;
      rows.push(r);
    });
}
if (rows.length === 0) die('no rows');

// ---- statistics ------------------------------------------------------------------------------
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
function stat(list, key) {
  const v = list
    .map((r) => num(r[key]))
    .filter((x) => x !== null)
    .sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return { med: v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2, min: v[0], max: v[v.length - 1], n: v.length };
}
const uniq = (a) => [...new Set(a)];
const METRICS = [
  'opsPerSec',
  'p50Us',
  'p99Us',
  'p999Us',
  'cpuUsPerOp',
  'mainThreadCpuUsPerOp',
  'syscallsPerOp',
  'allocsPerOp',
  'gcPerMillionOps',
  'eventLoopDelayP99Us',
  'rssAfterMb',
];

/** server -> workload -> driver -> concurrency -> { metric: stat, n, ops } */
const groups = new Map();
for (const r of rows) {
  const key = [r.server, r.workload, r.driver, r.concurrency].join('\u0000');
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(r);
}
const cells = [];
for (const list of groups.values()) {
  const r0 = list[0];
  const c = {
    server: r0.server,
    workload: r0.workload,
    driver: r0.driver,
    compression: r0.compression,
    concurrency: r0.concurrency,
    n: list.length,
    ops: uniq(list.map((r) => r.ops)).join('/'),
  };
  for (const k of METRICS) c[k] = stat(list, k);
  cells.push(c);
}

// ---- formatting ------------------------------------------------------------------------------
function fmt(v) {
  if (v === null || v === undefined) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100000) return `${Math.round(v / 1000)}k`;
  if (a >= 10000) return `${(v / 1000).toFixed(1)}k`;
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
function cell(s) {
  if (!s) return 'n/a';
  if (s.n === 1 || s.min === s.max) return fmt(s.med);
  return `${fmt(s.med)} <sub>${fmt(s.min)}–${fmt(s.max)}</sub>`;
}

// ---- SVG line charts -------------------------------------------------------------------------
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * series: [{ name, color, points: [{ x, y, lo, hi }] }]; x on a log2 axis (concurrency), y linear
 * from 0 or log10. Min–max spread drawn as whiskers.
 */
function lineChart({ title, yLabel, series, logY = false, dashed = new Set() }) {
  const W = 760,
    H = 400,
    L = 70,
    R = 210,
    T = 36,
    B = 48;
  const pw = W - L - R,
    ph = H - T - B;
  const xs = uniq(series.flatMap((s) => s.points.map((p) => p.x))).sort((a, b) => a - b);
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y])).filter((y) => y > 0 || !logY);
  if (xs.length === 0 || ys.length === 0) return null;
  const lx = (x) => Math.log2(Math.max(x, 1));
  const x0 = lx(xs[0]),
    x1 = lx(xs[xs.length - 1]);
  const px = (x) => L + (x1 === x0 ? pw / 2 : ((lx(x) - x0) / (x1 - x0)) * pw);
  let y0, y1, py, ticks;
  if (logY) {
    y0 = Math.floor(Math.log10(Math.min(...ys)));
    y1 = Math.ceil(Math.log10(Math.max(...ys)));
    if (y1 === y0) y1++;
    py = (y) => T + ph - ((Math.log10(Math.max(y, 10 ** y0)) - y0) / (y1 - y0)) * ph;
    ticks = [];
    for (let e = y0; e <= y1; e++) ticks.push(10 ** e);
  } else {
    const top = Math.max(...ys) * 1.08 || 1;
    const step = niceStep(top / 5);
    y1 = Math.ceil(top / step) * step;
    py = (y) => T + ph - (y / y1) * ph;
    ticks = [];
    for (let t = 0; t <= y1 + step / 2; t += step) ticks.push(t);
  }
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L + pw / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const t of ticks) {
    const y = py(t);
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${L - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const x of xs) {
    const X = px(x);
    out.push(`<line x1="${X.toFixed(1)}" x2="${X.toFixed(1)}" y1="${T}" y2="${T + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${X.toFixed(1)}" y="${T + ph + 16}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${L + pw / 2}" y="${H - 10}" text-anchor="middle">concurrency (requests in flight, log scale)</text>`);
  out.push(
    `<text transform="translate(16 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}${logY ? ' (log scale)' : ''}</text>`,
  );
  series.forEach((s, i) => {
    const pts = [...s.points].filter((p) => !logY || p.y > 0).sort((a, b) => a.x - b.x);
    if (pts.length === 0) return;
    const dash = dashed.has(s.name) ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of pts) {
      const X = px(p.x).toFixed(1);
      if (p.lo !== undefined && p.hi !== undefined && p.hi > p.lo) {
        out.push(
          `<line x1="${X}" x2="${X}" y1="${py(p.lo).toFixed(1)}" y2="${py(p.hi).toFixed(1)}" stroke="${s.color}" stroke-width="1.5"/>`,
        );
      }
      out.push(
        `<circle cx="${X}" cy="${py(p.y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name} c=${p.x}: ${fmt(p.y)}`)}</title></circle>`,
      );
    }
    const ly = T + 8 + i * 18;
    out.push(`<line x1="${L + pw + 12}" x2="${L + pw + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${L + pw + 42}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
function niceStep(raw) {
  const e = 10 ** Math.floor(Math.log10(raw));
  const f = raw / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

// ---- machine and versions ---------------------------------------------------------------------
function machine() {
  let model = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    /* not Linux */
  }
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    /* keep os.cpus() */
  }
  let kernel = release();
  try {
    kernel = execFileSync('uname', ['-srmv'], { encoding: 'utf8' }).trim();
  } catch {
    /* keep os.release() */
  }
  let mem = '';
  try {
    const m = /^MemTotal:\s*(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) mem = `${Math.round(Number(m[1]) / 1048576)} GiB`;
  } catch {
    /* ignore */
  }
  return { model, nproc, kernel, mem, node: process.version };
}

// ---- the report -------------------------------------------------------------------------------
mkdirSync(plotDir, { recursive: true });
const mach = machine();
const servers = uniq(cells.map((c) => c.server)).sort();
const drivers = uniq(cells.map((c) => c.driver)).sort((a, b) => (a === 'shardcql' ? -1 : b === 'shardcql' ? 1 : a.localeCompare(b)));
const compressed = rows.some((r) => r.compression !== 'none');
const color = new Map(drivers.map((d, i) => [d, PALETTE[i % PALETTE.length]]));
const md = [];
md.push(`# ${o.title}`, '');
md.push(
  `Generated ${new Date().toISOString()} by \`bench/report/report.mjs\` from ${o.in.map((f) => `\`${relative(process.cwd(), resolve(f))}\``).join(', ')} ` +
    `(${rows.length} runs). Every number below is a median over the repeats of one configuration; ` +
    'small print after it is the min–max spread over those repeats.',
  '',
);
md.push('## Machine', '');
md.push(`- CPU: ${mach.model}; \`nproc\` ${mach.nproc}${mach.mem ? `; memory ${mach.mem}` : ''}`);
md.push(`- Kernel: ${mach.kernel}`);
md.push(`- Node.js ${mach.node} (the report's own; the runs' is in the notes below)`);
md.push(
  `- Pinning: ${o.pinning ?? 'client process on CPU 0 (`taskset -c 0`), server (stub) on CPU 1 (`taskset -c 1`); a real Cassandra node is not pinned by the benchmark'}`,
);
md.push('');
md.push('## Drivers', '');
md.push('| driver | version(s) | runs | notes (first run) |', '| --- | --- | --- | --- |');
for (const d of drivers) {
  const rs = rows.filter((r) => r.driver === d);
  const versions = uniq(rs.map((r) => r.driverVersion ?? 'n/a')).join(', ');
  const notes = (rs.find((r) => r.notes)?.notes ?? '').replace(/\|/g, '\\|');
  md.push(`| ${d} | ${esc(versions)} | ${rs.length} | ${esc(notes)} |`);
}
md.push('');
if (o.cmd.length) {
  md.push('## How to reproduce', '', '```sh', ...o.cmd, '```', '');
}
md.push(
  'Columns: ops/s (throughput); p50/p99/p99.9 latency in µs; CPU µs per op (client process, user+system, ' +
    'all threads, timed part only); main-thread CPU µs/op (Node drivers); syscalls per op (`perf stat`, timed part only); ' +
    'allocations per op (Go: `runtime.MemStats.Mallocs` delta; Rust: counting global allocator; n/a elsewhere); ' +
    'GC per million ops (Go: GC cycles; Node: GC events; Python: collections).' +
    (compressed
      ? ' A driver name with "(lz4)" or "(snappy)" is that driver with protocol compression negotiated ' +
        '(`--compression`); the others ran uncompressed.'
      : ''),
  '',
);

let plotN = 0;
for (const server of servers) {
  md.push(`## Server: ${server}`, '');
  const wls = uniq(cells.filter((c) => c.server === server).map((c) => c.workload)).sort();
  for (const wl of wls) {
    const cs = cells.filter((c) => c.server === server && c.workload === wl);
    const ds = drivers.filter((d) => cs.some((c) => c.driver === d));
    const concs = uniq(cs.map((c) => c.concurrency)).sort((a, b) => a - b);
    md.push(`### ${server} / ${wl}`, '');
    // Compact overview: throughput per driver and concurrency.
    md.push(
      `Throughput, ops/s (ops per run: ${uniq(cs.map((c) => c.ops)).join(', ')}; repeats: ${uniq(cs.map((c) => c.n)).join(', ')})`,
      '',
    );
    md.push(`| driver | ${concs.map((c) => `c=${c}`).join(' | ')} |`, `| --- | ${concs.map(() => '---:').join(' | ')} |`);
    for (const d of ds) {
      md.push(`| ${d} | ${concs.map((c) => cell(cs.find((x) => x.driver === d && x.concurrency === c)?.opsPerSec)).join(' | ')} |`);
    }
    const ref = cs.filter((c) => c.driver === 'shardcql');
    if (ref.length && ds.length > 1) {
      md.push('', 'shardcql relative to each peer (median ops/s ratio; > 1 means shardcql is faster)', '');
      md.push(`| peer | ${concs.map((c) => `c=${c}`).join(' | ')} |`, `| --- | ${concs.map(() => '---:').join(' | ')} |`);
      for (const d of ds.filter((x) => x !== 'shardcql')) {
        md.push(
          `| ${d} | ${concs
            .map((c) => {
              const a = ref.find((x) => x.concurrency === c)?.opsPerSec?.med;
              const b = cs.find((x) => x.driver === d && x.concurrency === c)?.opsPerSec?.med;
              return a && b ? `${(a / b).toFixed(2)}×` : 'n/a';
            })
            .join(' | ')} |`,
        );
      }
    }
    md.push('', 'Details', '');
    md.push(
      '| driver | compression | c | ops/s | p50 µs | p99 µs | p99.9 µs | CPU µs/op | main-thread µs/op | syscalls/op | allocs/op | GC /M ops | ELD p99 µs | RSS MB |',
    );
    md.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const d of ds) {
      for (const c of concs) {
        const x = cs.find((y) => y.driver === d && y.concurrency === c);
        if (!x) continue;
        md.push(
          `| ${d} | ${x.compression} | ${c} | ${cell(x.opsPerSec)} | ${cell(x.p50Us)} | ${cell(x.p99Us)} | ${cell(x.p999Us)} | ${cell(x.cpuUsPerOp)} | ` +
            `${cell(x.mainThreadCpuUsPerOp)} | ${cell(x.syscallsPerOp)} | ${cell(x.allocsPerOp)} | ${cell(x.gcPerMillionOps)} | ` +
            `${cell(x.eventLoopDelayP99Us)} | ${cell(x.rssAfterMb)} |`,
        );
      }
    }
    md.push('');
    const slug = `${server}-${wl}`.replace(/[^a-z0-9-]+/gi, '_');
    const seriesOf = (metric, suffix = '') =>
      ds
        .map((d) => ({
          name: d + suffix,
          color: color.get(d),
          points: cs
            .filter((c) => c.driver === d && c[metric])
            .map((c) => ({ x: c.concurrency, y: c[metric].med, lo: c[metric].min, hi: c[metric].max })),
        }))
        .filter((s) => s.points.length);
    const charts = [
      ['throughput', lineChart({ title: `${server} / ${wl}: throughput`, yLabel: 'ops/s', series: seriesOf('opsPerSec') })],
      [
        'latency',
        lineChart({
          title: `${server} / ${wl}: p50 (solid) and p99 (dashed) latency`,
          yLabel: 'µs',
          logY: true,
          series: [...seriesOf('p50Us', ' p50'), ...seriesOf('p99Us', ' p99')],
          dashed: new Set(ds.map((d) => `${d} p99`)),
        }),
      ],
      ['cpu', lineChart({ title: `${server} / ${wl}: client CPU per op`, yLabel: 'CPU µs per op', series: seriesOf('cpuUsPerOp') })],
    ];
    for (const [kind, svg] of charts) {
      if (!svg) continue;
      const file = join(plotDir, `${slug}-${kind}.svg`);
      writeFileSync(file, svg);
      plotN++;
      md.push(`![${server} ${wl} ${kind}](${relative(dirname(outPath), file)})`, '');
    }
  }
}
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, md.join('\n'));
console.log(
  `bench:report: ${rows.length} runs, ${cells.length} configurations -> ${relative(process.cwd(), outPath)}, ${plotN} plots in ${relative(process.cwd(), plotDir)}`,
);
if (!existsSync(outPath)) process.exit(1);
