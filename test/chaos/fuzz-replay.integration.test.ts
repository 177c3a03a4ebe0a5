/**
 * Fuzzing in the tests: a short run of every decoder of scripts/fuzz.mjs, and a replay of every saved
 * reproducer (test/chaos/fuzz-crashes/*.json, written by `npm run fuzz`). No Cassandra needed; it sits in
 * the integration project only because that project holds test/**.
 *
 * A reproducer whose bug is not fixed yet carries "status": "open" and is expected to still fail
 * (it.fails); once the fix lands that test turns red: set "status": "fixed" and it guards the fix.
 * Hangs replay in a worker thread with a time bound.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { makeCases, type Cases } from './fuzz-cases';

const DIR = join(__dirname, 'fuzz-crashes');
const SHORT = Number(process.env['SHARDCQL_FUZZ_CASES'] ?? 5000);

interface Reproducer {
  decoder: keyof Omit<Cases, 'inputOf' | 'close'>;
  seed: number;
  kind: 'crash' | 'hang' | 'slow' | 'exit';
  index: number;
  error?: string;
  status?: 'open' | 'fixed';
}

const reproducers: Array<[string, Reproducer]> = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Reproducer])
  : [];

/** Runs one case in a worker thread (tsx, source condition) so that a hang can be cut off. */
function runBounded(r: Reproducer, ms: number): Promise<'done' | 'hang' | string> {
  const casesPath = join(__dirname, 'fuzz-cases.ts');
  const boot = `require('tsx/cjs/api').register();
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { makeCases } = require(${JSON.stringify(casesPath)});
  const c = await makeCases();
  try { await c[workerData.decoder](workerData.seed, workerData.index); parentPort.postMessage('done'); }
  catch (e) { parentPort.postMessage(String(e && e.stack || e)); }
})();`;
  return new Promise((res) => {
    const w = new Worker(boot, {
      eval: true,
      workerData: { decoder: r.decoder, seed: r.seed, index: r.index },
      execArgv: [...process.execArgv.filter((a) => a !== '--conditions=source'), '--conditions=source'],
    });
    const t = setTimeout(() => {
      void w.terminate();
      res('hang');
    }, ms);
    w.once('message', (m: string) => {
      clearTimeout(t);
      void w.terminate();
      res(m);
    });
    w.once('error', (e) => {
      clearTimeout(t);
      res(String(e));
    });
  });
}

describe('fuzzing (short form)', async () => {
  const cases = await makeCases();
  // The ring consumer is left out of the in-process run: a corrupt length can make it loop forever
  // (see docs/RELIABILITY.md); its saved hang reproducers replay below, bounded.
  for (const d of ['envelope', 'v5frame', 'result', 'error', 'value', 'settle'] as const) {
    const known = d === 'settle' && reproducers.some(([, r]) => r.decoder === 'settle' && r.status === 'open');
    (known ? it.fails : it)(
      `${d}: ${SHORT} cases, only typed errors${known ? ' (open bug: see fuzz-crashes/settle-*.json)' : ''}`,
      async () => {
        for (let i = 0; i < SHORT; i++) {
          try {
            await cases[d](0xc1, i);
          } catch (e) {
            throw new Error(`${d} case ${i} (seed 0xc1) crashed: ${(e as Error)?.stack ?? String(e)}`);
          }
        }
      },
    );
  }
});

describe('fuzz reproducers replay', () => {
  if (reproducers.length === 0) it('has no saved reproducer', () => expect(reproducers.length).toBe(0));
  for (const [file, r] of reproducers) {
    if (r.kind !== 'crash' && r.kind !== 'hang') continue;
    (r.status === 'open' ? it.fails : it)(
      `${file}: ${r.kind} of ${r.decoder} case ${r.index}${r.status === 'open' ? ' (open bug)' : ''}`,
      async () => {
        const out = await runBounded(r, 5000);
        expect(out).toBe('done');
      },
      30_000,
    );
  }
});
