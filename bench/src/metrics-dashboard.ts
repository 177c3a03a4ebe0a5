// What a user of the per-shard metrics sees: a small dashboard drawn from real samples of
// client.getShardMetrics(), taken every 250 ms while a load runs against the ScyllaDB simulator
// (3 nodes x 4 shards, test/simulator) with a concurrency that changes over time (1, 64, 512, 64).
//   npm run bench:dashboard -- [--out docs/metrics-dashboard.svg] [--seconds-per-phase 4]
// Writes the SVG and the samples as CSV next to it. Needs Go (the stub) and a build (npm run build).
import { writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Client, types } from '@shardcql/client';
import { startStub } from '../../test/simulator/stub';

interface Sample {
  t: number;
  key: string;
  requests: number;
  inFlight: number;
  p99Us: number;
  framesPerWrite: number;
}

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const cwd = process.env['INIT_CWD'] ?? process.cwd();
const outArg = opt('--out', 'docs/metrics-dashboard.svg');
const out = isAbsolute(outArg) ? outArg : resolve(cwd, outArg);
const phaseMs = Number(opt('--seconds-per-phase', '4')) * 1000;
const PHASES = [1, 64, 512, 64];
const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';

async function main(): Promise<void> {
  const stub = await startStub({
    host: '127.0.0.71',
    port: 0,
    shards: 4,
    extraArgs: ['-nodes', '3', '-tokens', '8', '-shard-aware-port', '-1'],
  });
  const client = new Client({
    contactPoints: ['127.0.0.71'],
    localDataCenter: 'datacenter1',
    protocolOptions: { port: stub.port },
    shardcql: { workers: 1 },
  });
  const samples: Sample[] = [];
  try {
    await client.connect();
    let concurrency = 0;
    let stop = false;
    let running = 0;
    const loop = async (id: number): Promise<void> => {
      running++;
      while (!stop && id < concurrency) {
        const hi = (Math.random() * 0x100000000) | 0;
        const lo = (Math.random() * 0x100000000) >>> 0;
        const k = types.Long.fromBits(lo, hi);
        await client.execute(INSERT, [k, k, k], { prepare: true });
      }
      running--;
    };
    const t0 = Date.now();
    const timer = setInterval(() => {
      const t = (Date.now() - t0) / 1000;
      for (const m of client.getShardMetrics()) {
        const host = m.host.split(':')[0]!.split('.').pop();
        const key = m.worker < 0 ? `.${host} lane` : `.${host} shard ${m.shard}`;
        samples.push({ t, key, requests: m.requests, inFlight: m.inFlight, p99Us: m.p99Us, framesPerWrite: m.framesPerWrite });
      }
    }, 250);
    for (const c of PHASES) {
      const before = concurrency;
      concurrency = c;
      for (let i = before; i < c; i++) void loop(i);
      await new Promise((r) => setTimeout(r, phaseMs));
    }
    stop = true;
    clearInterval(timer);
    while (running > 0) await new Promise((r) => setTimeout(r, 10));
  } finally {
    await client.shutdown();
    await stub.stop();
  }
  writeFileSync(
    out.replace(/\.svg$/, '.csv'),
    [
      't,series,requests,inFlight,p99Us,framesPerWrite',
      ...samples.map((s) => `${s.t},${s.key},${s.requests},${s.inFlight},${s.p99Us},${s.framesPerWrite}`),
    ].join('\n') + '\n',
  );
  writeFileSync(out, render(samples));
  console.log(`dashboard: ${out} (${samples.length} samples)`);
}

// ---- drawing -----------------------------------------------------------------------------------------

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
  '#393b79',
  '#637939',
  '#000000',
  '#ad494a',
  '#8ca252',
];

function render(samples: Sample[]): string {
  const keys = [...new Set(samples.map((s) => s.key))].sort();
  const by = new Map<string, Sample[]>(keys.map((k) => [k, samples.filter((s) => s.key === k)]));
  // Requests per second from the counter's differences.
  const rate = (list: Sample[]): Array<[number, number]> =>
    list.slice(1).map((s, i) => [s.t, (s.requests - list[i]!.requests) / Math.max(1e-3, s.t - list[i]!.t)]);
  const panels: Array<{ title: string; series: Array<{ key: string; pts: Array<[number, number]> }> }> = [
    { title: 'requests/s per (host, shard)', series: keys.map((k) => ({ key: k, pts: rate(by.get(k)!) })) },
    {
      title: 'in flight per (host, shard)',
      series: keys.map((k) => ({ key: k, pts: by.get(k)!.map((s) => [s.t, s.inFlight] as [number, number]) })),
    },
    {
      title: 'p99 latency, µs (since start)',
      series: keys.map((k) => ({ key: k, pts: by.get(k)!.map((s) => [s.t, s.p99Us] as [number, number]) })),
    },
    {
      title: 'frames per socket write (coalescing)',
      series: keys.map((k) => ({ key: k, pts: by.get(k)!.map((s) => [s.t, s.framesPerWrite] as [number, number]) })),
    },
  ];
  const PW = 420,
    PH = 220,
    GAP = 30,
    L = 56,
    T = 50,
    LEG = 120;
  const W = L + 2 * PW + GAP + LEG + 20,
    H = T + 2 * (PH + 60);
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
  );
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">shardcql per-shard metrics: simulator 3 nodes x 4 shards, concurrency ${PHASES.join(' → ')}</text>`,
  );
  const tMax = Math.max(...samples.map((s) => s.t), 1);
  panels.forEach((p, i) => {
    const x0 = L + (i % 2) * (PW + GAP);
    const y0 = T + Math.floor(i / 2) * (PH + 60);
    const yMax = Math.max(1, ...p.series.flatMap((s) => s.pts.map((q) => q[1]))) * 1.08;
    o.push(`<text x="${x0 + PW / 2}" y="${y0 - 8}" text-anchor="middle" font-size="12" font-weight="bold">${p.title}</text>`);
    o.push(`<rect x="${x0}" y="${y0}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`);
    for (let k = 0; k <= 4; k++) {
      const y = y0 + PH - (k / 4) * PH;
      o.push(
        `<line x1="${x0}" x2="${x0 + PW}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${x0 - 4}" y="${y + 4}" text-anchor="end">${fmt((k / 4) * yMax)}</text>`,
      );
    }
    for (let k = 0; k <= 4; k++)
      o.push(`<text x="${x0 + (k / 4) * PW}" y="${y0 + PH + 14}" text-anchor="middle">${((k / 4) * tMax).toFixed(0)} s</text>`);
    p.series.forEach((s, j) => {
      if (s.pts.length === 0) return;
      const pts = s.pts.map(([t, v]) => `${(x0 + (t / tMax) * PW).toFixed(1)},${(y0 + PH - (v / yMax) * PH).toFixed(1)}`).join(' ');
      o.push(`<polyline fill="none" stroke="${PALETTE[j % PALETTE.length]}" stroke-width="1.4" points="${pts}"/>`);
    });
  });
  keys.forEach((k, j) => {
    const y = T + 6 + j * 16;
    const x = L + 2 * PW + GAP + 14;
    o.push(
      `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${PALETTE[j % PALETTE.length]}" stroke-width="2"/><text x="${x + 22}" y="${y + 4}">${k}</text>`,
    );
  });
  o.push('</svg>');
  return o.join('\n');
}

function fmt(v: number): string {
  return v >= 10000 ? `${(v / 1000).toFixed(0)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
