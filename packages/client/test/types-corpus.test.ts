/**
 * "Code that compiles with cassandra-driver compiles unchanged": the corpus in ./types-corpus (TypeScript written
 * against cassandra-driver 4.10's index.d.ts, importing 'cassandra-driver') is compiled against cassandra-driver
 * and against @shardcql/client (the built dist/*.d.ts, as a user gets them) with the same strict options, and
 * every diagnostic that only the shardcql run has fails the test, printed in full.
 *
 * A line of the corpus may carry `// kept: <reason>`: a deliberate difference (cassandra-driver's declaration
 * is false at run time, or the API does not exist here). Such a line must still differ, so the marks stay true.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, OPTION_SETS, compileStrict, corpusFiles, differences, staleBuild, type Diagnostic } from './types-corpus/compile';

const ROOT = resolve(CORPUS_DIR, '../../../..');
const KEPT = /\/\/ kept: \S/;

function keptLines(): Set<string> {
  const out = new Set<string>();
  for (const file of corpusFiles()) {
    const rel = relative(ROOT, file);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (KEPT.test(line)) out.add(`${rel}:${i + 1}`);
      });
  }
  return out;
}

function lineOf(d: Diagnostic): string {
  return d.key.replace(/:\d+ TS\d+$/, '');
}

describe('type corpus: cassandra-driver declarations compile unchanged against @shardcql/client', () => {
  it('the build is current (the corpus is compiled against dist/*.d.ts)', () => {
    expect(staleBuild()).toBeNull();
  });

  for (const set of Object.keys(OPTION_SETS)) {
    it(`${set}: no diagnostic only with shardcql, and none with cassandra-driver`, { timeout: 300_000 }, () => {
      const { theirs, onlyOurs } = differences(set);
      // The corpus itself must be valid cassandra-driver code.
      expect(theirs.map((d) => d.text)).toEqual([]);
      const kept = keptLines();
      const unexpected = onlyOurs.filter((d) => !kept.has(lineOf(d)));
      if (unexpected.length > 0) console.log(`only with shardcql (${set}):\n${unexpected.map((d) => d.text).join('\n')}`);
      expect(unexpected.map((d) => d.text)).toEqual([]);
      const differing = new Set(onlyOurs.map(lineOf));
      expect(
        [...kept].filter((l) => !differing.has(l)),
        'lines marked `kept:` that no longer differ',
      ).toEqual([]);
    });
  }

  it('the opt-in exact types (strict.Client) compile as test/types-strict expects', { timeout: 300_000 }, () => {
    expect(compileStrict('commonjs').map((d) => d.text)).toEqual([]);
  });
});
