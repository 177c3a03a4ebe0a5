#!/usr/bin/env node
// The soak: a long steady load through the shardcql Client (prepared INSERT/SELECT, `--concurrency` in
// flight), sampled every second into a CSV and an SVG plot (RSS, heap, event-loop delay, open handles,
// in-flight, throughput), with three checks at the end:
//   1. RSS at the end within 10% of RSS right after warm-up (nothing grows without bound);
//   2. no pending promise after `client.shutdown()` (every request settled);
//   3. the load process exits by itself after shutdown (no handle left open; this process watches it).
//
//   npm run soak -- --requests 10000000 --server stub|cassandra --concurrency 4096 [--out bench/results]
//
// --server stub starts test/simulator/.bin/cql-stub on 127.0.0.8:9042 (-v5) and stops it by PID; --server cassandra
// uses the node at 127.0.0.1:9042 (node scripts/db.mjs start; never stopped here).

import { fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STUB = join(ROOT, 'test', 'simulator', '.bin', 'cql-stub');

function parseArgs(argv) {
  const o = {
    requests: 1_000_000,
    server: 'stub',
    concurrency: 4096,
    out: join(ROOT, 'bench', 'results'),
    child: false,
    host: null,
    port: 9042,
    dc: null,
    warmup: 0,
    workers: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--requests') o.requests = Number(v());
    else if (a === '--server') o.server = v();
    else if (a === '--concurrency') o.concurrency = Number(v());
    else if (a === '--out') o.out = resolve(v());
    else if (a === '--warmup') o.warmup = Number(v());
    else if (a === '--workers') o.workers = Number(v());
    else if (a === '--child') o.child = true;
    else if (a === '--host') o.host = v();
    else if (a === '--port') o.port = Number(v());
    else if (a === '--dc') o.dc = v();
    else throw new Error(`unknown option ${a}`);
  }
  if (!['stub', 'cassandra'].includes(o.server)) throw new Error('--server stub|cassandra');
  if (o.warmup === 0) o.warmup = Math.min(Math.floor(o.requests / 10), 1_000_000);
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function waitPort(host, port, ms) {
  const end = Date.now() + ms;
  return new Promise((res, rej) => {
    const attempt = () => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        res();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > end) rej(new Error(`nothing listens on ${host}:${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

// ---- the parent: the server, the child, the verdict -----------------------------------------------

async function parentMain(o) {
  let stub = null;
  const host = o.server === 'stub' ? '127.0.0.8' : '127.0.0.1';
  const dc = o.server === 'stub' ? 'datacenter1' : 'dc1';
  if (o.server === 'stub') {
    if (!existsSync(STUB)) throw new Error(`${STUB} is missing (build it: npm run stub -- --build)`);
    stub = spawn(STUB, ['-addr', `${host}:${o.port}`, '-v5'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitPort(host, o.port, 10_000);
  } else {
    await waitPort(host, o.port, 5_000);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  mkdirSync(o.out, { recursive: true });
  const base = join(o.out, `soak-${o.server}-${o.requests}-${stamp}`);
  let verdict;
  try {
    verdict = await runChild(o, host, dc, base);
  } finally {
    if (stub !== null) {
      stub.kill('SIGTERM');
      await new Promise((r) => (stub.exitCode !== null ? r() : stub.once('exit', r)));
    }
  }
  writeFileSync(`${base}.json`, `${JSON.stringify(verdict, null, 2)}\n`);
  plot(`${base}.csv`, `${base}.svg`, verdict);
  const s = verdict.summary ?? {};
  process.stdout.write(
    `soak: ${s.requests ?? 0} requests in ${s.seconds?.toFixed(1)} s (${Math.round(s.rate ?? 0)}/s), errors ${JSON.stringify(s.errors ?? {})}\n` +
      `soak: RSS after warm-up ${mb(s.rssWarm)} MiB, at the end ${mb(s.rssEnd)} MiB (medians of 5 samples) (${s.rssGrowthPct?.toFixed(1)}%), max ${mb(s.rssMax)} MiB; heap end ${mb(s.heapEnd)} MiB\n` +
      `soak: event-loop delay p99 max ${s.eldP99Max?.toFixed(1)} ms; pending promises after shutdown ${s.pendingAfterShutdown}; handles after shutdown ${JSON.stringify(s.handlesAfterShutdown)}\n` +
      `soak: exited by itself: ${verdict.exitedByItself} (in ${verdict.exitMs} ms)\n` +
      `soak: ${verdict.pass ? 'PASS' : 'FAIL'} -> ${base}.{csv,svg,json}\n`,
  );
  return verdict.pass ? 0 : 1;
}

const mb = (b) => (b === undefined ? '?' : (b / 1048576).toFixed(1));

function runChild(o, host, dc, base) {
  return new Promise((res) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      [
        '--child',
        '--requests',
        String(o.requests),
        '--concurrency',
        String(o.concurrency),
        '--host',
        host,
        '--port',
        String(o.port),
        '--dc',
        dc,
        '--warmup',
        String(o.warmup),
        '--workers',
        String(o.workers),
        '--out',
        `${base}.csv`,
        '--server',
        o.server,
      ],
      { execArgv: ['--import', 'tsx', '--conditions=source'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    let summary = null;
    let doneAt = 0;
    let killer = null;
    child.on('message', (m) => {
      if (m.type === 'summary') {
        summary = m.summary;
        doneAt = Date.now();
        // The child said it is done and has disconnected: it must now exit on its own.
        killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      }
    });
    child.on('exit', (code, sig) => {
      if (killer !== null) clearTimeout(killer);
      const exitedByItself = summary !== null && sig === null && code === 0;
      const s = summary ?? {};
      // Growth is what is checked: an RSS that shrinks after warm-up passes.
      const pass = exitedByItself && s.pendingAfterShutdown === 0 && (s.rssGrowthPct ?? 100) <= 10 && (s.requests ?? 0) >= o.requests;
      res({
        options: { requests: o.requests, server: o.server, concurrency: o.concurrency, warmup: o.warmup },
        summary: s,
        exitedByItself,
        exitCode: code,
        signal: sig,
        exitMs: doneAt ? Date.now() - doneAt : null,
        pass,
      });
    });
  });
}

/** A small SVG: one panel per series, time on x. */
function plot(csvPath, svgPath, verdict) {
  if (!existsSync(csvPath)) return;
  const text = readFileSync(csvPath, 'utf8');
  const lines = text.trim().split('\n');
  const head = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  if (rows.length < 2) return;
  const series = [
    ['rss_mib', 'RSS (MiB)'],
    ['heap_used_mib', 'heap used (MiB)'],
    ['eld_p99_ms', 'event-loop delay p99 (ms)'],
    ['handles', 'open handles'],
    ['in_flight', 'in flight'],
    ['rate', 'requests/s'],
  ];
  const W = 900;
  const PH = 120;
  const pad = 50;
  const tcol = head.indexOf('t_s');
  const tMax = rows.at(-1)[tcol];
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${series.length * (PH + 30) + 40}" font-family="sans-serif" font-size="11">\n`;
  svg += `<text x="10" y="18" font-size="13">shardcql soak: ${verdict.options.requests} requests, ${verdict.options.server}, concurrency ${verdict.options.concurrency} (${verdict.pass ? 'PASS' : 'FAIL'})</text>\n`;
  series.forEach(([col, label], k) => {
    const c = head.indexOf(col);
    const ys = rows.map((r) => r[c]);
    const yMax = Math.max(1e-9, ...ys) * 1.1;
    const y0 = 40 + k * (PH + 30);
    const pts = rows
      .map((r) => `${(pad + ((W - pad - 10) * r[tcol]) / Math.max(1, tMax)).toFixed(1)},${(y0 + PH - (PH * r[c]) / yMax).toFixed(1)}`)
      .join(' ');
    svg += `<text x="${pad}" y="${y0 - 4}">${label} (max ${fmt(Math.max(...ys))})</text>\n`;
    svg += `<rect x="${pad}" y="${y0}" width="${W - pad - 10}" height="${PH}" fill="none" stroke="#ccc"/>\n`;
    svg += `<text x="4" y="${y0 + 10}">${fmt(yMax)}</text><text x="4" y="${y0 + PH}">0</text>\n`;
    svg += `<polyline fill="none" stroke="#1f77b4" stroke-width="1.2" points="${pts}"/>\n`;
  });
  svg += `<text x="${pad}" y="${40 + series.length * (PH + 30) - 8}">time (s), 0 .. ${tMax}</text>\n</svg>\n`;
  writeFileSync(svgPath, svg);
}

const fmt = (v) => (Math.abs(v) >= 100 ? Math.round(v).toString() : v.toFixed(2));

// ---- the child: the load ------------------------------------------------------------------------------

async function childMain(o) {
  const { Client } = await import('@shardcql/client');
  const Long = (await import('long')).default;
  const options = {
    contactPoints: [`${o.host}:${o.port}`],
    localDataCenter: o.dc,
    pooling: { maxRequestsPerConnection: 32768 },
    socketOptions: { readTimeout: 30_000 },
  };
  if (o.workers > 0) options.shardcql = { workers: o.workers };
  const client = new Client(options);
  await client.connect();
  const engine = client.engine;
  await client.execute("CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  await client.execute('CREATE TABLE IF NOT EXISTS benchks.benchtab (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)');
  const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';
  const SELECT = 'SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?';
  const PREPARED = { prepare: true };
  const KEYS = 100_000;
  const keys = Array.from({ length: KEYS }, (_, i) => Long.fromNumber(i));

  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  writeFileSync(
    o.out,
    't_s,requests,rate,rss_mib,heap_used_mib,heap_total_mib,external_mib,array_buffers_mib,eld_p50_ms,eld_p99_ms,eld_max_ms,handles,in_flight,engine_in_flight,errors\n',
  );
  let started = 0;
  let done = 0;
  let errors = 0;
  const errorClasses = {};
  const errorSamples = {};
  let inFlight = 0;
  const pending = new Set();
  const t0 = Date.now();
  let lastDone = 0;
  // RSS moves with every GC: compare medians of 5 samples (right after warm-up, and the last ones).
  const postWarm = [];
  const heapPost = [];
  const median = (a) => (a.length === 0 ? 0 : [...a].sort((x, y) => x - y)[a.length >> 1]);
  let rssMax = 0;
  let eldP99Max = 0;
  const sample = () => {
    const m = process.memoryUsage();
    const t = Math.round((Date.now() - t0) / 1000);
    const rate = done - lastDone;
    lastDone = done;
    const p99 = eld.percentile(99) / 1e6;
    if (done >= o.warmup) eldP99Max = Math.max(eldP99Max, p99);
    if (done >= o.warmup) {
      postWarm.push(m.rss);
      heapPost.push(m.heapUsed);
    }
    rssMax = Math.max(rssMax, m.rss);
    const handles = process.getActiveResourcesInfo().length;
    appendFileSync(
      o.out,
      `${t},${done},${rate},${(m.rss / 1048576).toFixed(1)},${(m.heapUsed / 1048576).toFixed(1)},${(m.heapTotal / 1048576).toFixed(1)},${(m.external / 1048576).toFixed(1)},${(m.arrayBuffers / 1048576).toFixed(1)},${(eld.percentile(50) / 1e6).toFixed(2)},${p99.toFixed(2)},${(eld.max / 1e6).toFixed(2)},${handles},${inFlight},${engine?.inFlight ?? -1},${errors}\n`,
    );
    eld.reset();
  };
  const timer = setInterval(sample, 1000);

  async function lane(l) {
    let n = l;
    while (started < o.requests) {
      started++;
      const k = keys[n % KEYS];
      n += o.concurrency;
      const p = (n & 1) === 0 ? client.execute(INSERT, [k, k, k], PREPARED) : client.execute(SELECT, [k], PREPARED);
      pending.add(p);
      inFlight++;
      try {
        await p;
      } catch (e) {
        errors++;
        const c = e?.constructor?.name ?? 'unknown';
        errorClasses[c] = (errorClasses[c] ?? 0) + 1;
        if (errorSamples[c] === undefined) errorSamples[c] = String(e?.message ?? e).slice(0, 300);
      } finally {
        pending.delete(p);
        inFlight--;
        done++;
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, (_, l) => lane(l)));
  sample();
  const seconds = (Date.now() - t0) / 1000;
  const rssWarm = median(postWarm.slice(0, 5));
  const heapWarm = median(heapPost.slice(0, 5));
  const rssEnd = median(postWarm.slice(-5));
  const heapEnd = median(heapPost.slice(-5));
  clearInterval(timer);
  eld.disable();
  // A few requests left in flight on purpose: shutdown must settle them all.
  const tail = Array.from({ length: 64 }, (_, i) =>
    client.execute(SELECT, [keys[i]], PREPARED).then(
      () => 'ok',
      (e) => e?.constructor?.name,
    ),
  );
  for (const p of tail) pending.add(p);
  await client.shutdown();
  let bound = null;
  const settledTail = await Promise.race([Promise.all(tail), new Promise((r) => (bound = setTimeout(r, 20_000, null)))]);
  clearTimeout(bound);
  for (const p of tail) pending.delete(p);
  const pendingAfterShutdown = settledTail === null ? tail.length : pending.size;
  // What is still open once the client is gone (the IPC channel to the parent is expected).
  const handlesAfterShutdown = process.getActiveResourcesInfo();
  const summary = {
    requests: done,
    seconds,
    rate: done / seconds,
    errors: errorClasses,
    errorSamples,
    rssWarm,
    heapWarm,
    rssEnd,
    heapEnd,
    rssMax,
    rssGrowthPct: rssWarm > 0 ? ((rssEnd - rssWarm) / rssWarm) * 100 : null,
    eldP99Max,
    pendingAfterShutdown,
    handlesAfterShutdown,
    tailOutcomes:
      settledTail === null
        ? null
        : Object.fromEntries([...new Set(settledTail)].map((k) => [k, settledTail.filter((x) => x === k).length])),
  };
  process.send({ type: 'summary', summary });
  process.disconnect();
  // Nothing else: the process must now exit because nothing keeps it alive.
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) await childMain(o);
  else process.exit(await parentMain(o));
}
