#!/usr/bin/env node
// Fuzzing at scale (nightly form): every decoder that reads bytes from outside (the network, or another
// thread's ring) gets random and mutated inputs; the only exceptions allowed are the typed ones
// (CodecError, or another DriverError). Counts cases, crashes (anything else thrown), hangs (a decoder
// that stops making progress; per-case bound), and the slowest case.
//
//   npm run fuzz -- --cases 1000000 [--decoders envelope,v5frame,result,error,value,ring,settle] [--seed N] [--json out.json]
//
// Each decoder runs in its own child process (node --import tsx --conditions=source: the TS sources, no
// build), watched by this process: no progress report for --hang-ms (10 s) means a hang; the child is
// killed and the case block is saved. Every case is rebuilt from (decoder, seed, index) alone, so a
// reproducer is that triple plus the input; crashes are saved to test/chaos/fuzz-crashes/*.json and
// replayed by test/chaos/fuzz-replay.test.ts.

import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CRASH_DIR = join(ROOT, 'test', 'chaos', 'fuzz-crashes');
export const DECODERS = ['envelope', 'v5frame', 'result', 'error', 'value', 'ring', 'settle'];
const REPORT_EVERY = 2048;
const SLOW_CASE_MS = 1000;

function parseArgs(argv) {
  const o = { cases: 100_000, decoders: DECODERS, seed: 0x5eed, json: null, child: null, from: 0, hangMs: 5_000, trace: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--cases') o.cases = Number(v());
    else if (a === '--decoders') o.decoders = v().split(',');
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--json') o.json = v();
    else if (a === '--child') o.child = v();
    else if (a === '--from') o.from = Number(v());
    else if (a === '--hang-ms') o.hangMs = Number(v());
    else if (a === '--trace') o.trace = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const d of o.decoders) if (!DECODERS.includes(d)) throw new Error(`unknown decoder ${d} (${DECODERS.join(', ')})`);
  return o;
}

// ---- the parent: one child per decoder, a watchdog, the summary ------------------------------------

async function runDecoder(name, o) {
  const result = { decoder: name, cases: 0, crashes: 0, hangs: 0, slowestMs: 0, slowestCase: -1, typedErrors: 0, ok: 0, seconds: 0 };
  const t0 = Date.now();
  let from = o.from;
  let traceUntil = -1; // after a hang: rerun its block reporting every case, to find the one that hangs
  while (from < o.cases) {
    const tracing = traceUntil > from;
    const upTo = tracing ? traceUntil : o.cases;
    const outcome = await new Promise((res) => {
      const args = [
        '--child',
        name,
        '--cases',
        String(upTo),
        '--seed',
        String(o.seed),
        '--from',
        String(from),
        ...(tracing ? ['--trace'] : []),
      ];
      const child = fork(fileURLToPath(import.meta.url), args, {
        execArgv: ['--import', 'tsx', '--conditions=source'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let last = { done: from, crashes: 0, typedErrors: 0, ok: 0, slowestMs: 0, slowestCase: -1 };
      let timer = setTimeout(onHang, o.hangMs);
      function onHang() {
        child.kill('SIGKILL');
        res({ hang: true, last });
      }
      child.on('message', (m) => {
        clearTimeout(timer);
        timer = setTimeout(onHang, o.hangMs);
        last = m;
        if (m.final) {
          clearTimeout(timer);
          res({ hang: false, last });
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        res({ hang: false, last, exitCode: code });
      });
    });
    const l = outcome.last;
    result.cases += l.done - from;
    result.crashes += l.crashes;
    result.typedErrors += l.typedErrors;
    result.ok += l.ok;
    if (l.slowestMs > result.slowestMs) {
      result.slowestMs = l.slowestMs;
      result.slowestCase = l.slowestCase;
    }
    if (outcome.hang && !tracing) {
      // Rerun the block case by case (its cases are counted again there).
      result.cases -= l.done - from;
      result.crashes -= l.crashes;
      result.typedErrors -= l.typedErrors;
      result.ok -= l.ok;
      from = l.done;
      traceUntil = l.done + REPORT_EVERY;
    } else if (outcome.hang) {
      result.hangs++;
      result.cases++;
      saveReproducer({ decoder: name, seed: o.seed, kind: 'hang', index: l.done, note: `no progress for ${o.hangMs} ms` });
      from = l.done + 1;
    } else if (tracing && l.final) {
      from = traceUntil;
      traceUntil = -1;
    } else if (!l.final) {
      // The child died without a hang (an out-of-memory abort, a native crash): one crash, skip its block.
      result.crashes++;
      saveReproducer({
        decoder: name,
        seed: o.seed,
        kind: 'exit',
        exitCode: outcome.exitCode,
        fromIndex: l.done,
        toIndex: l.done + REPORT_EVERY,
      });
      from = l.done + REPORT_EVERY;
    } else {
      from = o.cases;
    }
  }
  result.seconds = (Date.now() - t0) / 1000;
  return result;
}

export function saveReproducer(rep) {
  mkdirSync(CRASH_DIR, { recursive: true });
  const id = createHash('sha1').update(JSON.stringify(rep)).digest('hex').slice(0, 10);
  writeFileSync(join(CRASH_DIR, `${rep.decoder}-${id}.json`), `${JSON.stringify(rep, null, 2)}\n`);
}

async function parentMain(o) {
  const results = [];
  for (const d of o.decoders) {
    const r = await runDecoder(d, o);
    results.push(r);
    process.stdout.write(
      `fuzz: ${d.padEnd(8)} ${r.cases} cases in ${r.seconds.toFixed(1)} s: crashes ${r.crashes}, hangs ${r.hangs}, typed errors ${r.typedErrors}, accepted ${r.ok}, slowest ${r.slowestMs.toFixed(2)} ms (case ${r.slowestCase})\n`,
    );
  }
  const summary = { at: new Date().toISOString(), node: process.version, seed: o.seed, casesPerDecoder: o.cases, results };
  if (o.json) {
    mkdirSync(dirname(resolve(o.json)), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify(summary, null, 2)}\n`);
  }
  const bad = results.reduce((a, r) => a + r.crashes + r.hangs, 0);
  process.stdout.write(`fuzz: ${bad === 0 ? 'no crash, no hang' : `${bad} crash(es)/hang(s); reproducers in ${CRASH_DIR}`}\n`);
  return bad === 0 ? 0 : 1;
}

// ---- the child: the cases ---------------------------------------------------------------------------

async function childMain(o) {
  const { makeCases } = await import('../test/chaos/fuzz-cases.ts');
  const fz = await makeCases();
  const run = fz[o.child];
  let crashes = 0;
  let typedErrors = 0;
  let ok = 0;
  let slowestMs = 0;
  let slowestCase = -1;
  // At most a few reproducers per distinct failure (the message with its numbers blanked).
  const seen = new Map();
  const keep = (sig) => {
    const n = seen.get(sig) ?? 0;
    seen.set(sig, n + 1);
    return n < 3;
  };
  const every = o.trace ? 1 : REPORT_EVERY;
  const send = (done, final) => process.send({ done, crashes, typedErrors, ok, slowestMs, slowestCase, final });
  for (let i = o.from; i < o.cases; i++) {
    const t = performance.now();
    let outcome;
    try {
      outcome = await run(o.seed, i);
    } catch (e) {
      outcome = { crash: e };
    }
    const ms = performance.now() - t;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestCase = i;
    }
    if (outcome.crash !== undefined) {
      crashes++;
      const e = outcome.crash;
      const error = `${e?.name}: ${e?.message}`;
      if (keep(error.replace(/\d+/g, '#'))) {
        saveReproducer({
          decoder: o.child,
          seed: o.seed,
          kind: 'crash',
          index: i,
          input: fz.inputOf(o.child, o.seed, i),
          error,
          stack: String(e?.stack ?? '')
            .split('\n')
            .slice(0, 6)
            .join('\n'),
        });
      }
    } else if (outcome.typed) typedErrors++;
    else ok++;
    if (ms > SLOW_CASE_MS)
      saveReproducer({ decoder: o.child, seed: o.seed, kind: 'slow', index: i, ms, input: fz.inputOf(o.child, o.seed, i) });
    if ((i + 1) % every === 0) send(i + 1, false);
    // In trace mode the parent must hear of case i before it starts (a hang in it then names i).
    if (o.trace) await new Promise((r) => setImmediate(r));
  }
  await fz.close?.();
  send(o.cases, true);
  process.disconnect();
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const o = parseArgs(process.argv.slice(2));
  if (o.child !== null) await childMain(o);
  else process.exit(await parentMain(o));
}
