#!/usr/bin/env node
// `npm test`: build, unit tests, then a real Cassandra (scripts/db.mjs), integration tests, and Cassandra
// stopped again whatever happened (finally + SIGINT/SIGTERM). Exits non-zero if any step failed; when
// Cassandra cannot start, the integration phase counts as failed.
//
//   node scripts/test.mjs [--no-build] [--unit-only] [--integration-only] [-- <extra vitest args>]
//   SHARDCQL_TEST_NODES=3 node scripts/test.mjs   also runs a 3-node phase (THREE_NODE_FILES below)
//
// Cassandra that cannot start fails the integration phase; it is never a reason to skip. Files that need what the
// default single node lacks skip themselves (13 tests): auth and TLS (SHARDCQL_TEST_AUTH=1, SHARDCQL_TEST_TLS=1,
// run by hand against `npm run db -- start --auth` / `--tls`) and three nodes (the 3-node phase runs them).
//
// A Cassandra that was already running before `npm test` (one you started with `npm run db -- start`) is
// used as it is and left running: this script stops only what it started.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as db from './db.mjs';
import { lineSplitter, tscProgress } from './progress.mjs';

const args = process.argv.slice(2);
const dashdash = args.indexOf('--');
const flags = new Set(dashdash >= 0 ? args.slice(0, dashdash) : args);
const vitestExtra = dashdash >= 0 ? args.slice(dashdash + 1) : [];
for (const f of flags) {
  if (!['--no-build', '--unit-only', '--integration-only'].includes(f)) {
    process.stderr.write(
      `test: unknown option '${f}'\nusage: node scripts/test.mjs [--no-build] [--unit-only] [--integration-only] [-- <vitest args>]\n`,
    );
    process.exit(2);
  }
}
const threeNodes = process.env.SHARDCQL_TEST_NODES === '3';
// Every file that runs only on three nodes (describe.skipIf(SHARDCQL_TEST_NODES !== '3')).
const THREE_NODE_FILES = [
  'test/three-nodes.integration.test.ts',
  'packages/client/test/differential-3nodes.integration.test.ts',
  'packages/client/test/engine-topology-3nodes.integration.test.ts',
];
const RESULTS_DIR = join(db.ROOT, '.cache', 'test-results');
// Names each test file as it starts, and what still runs during a long file (scripts/vitest-progress.mjs). On a
// terminal the default reporter shows the running files itself, in its live summary.
const PROGRESS_REPORTERS = process.stdout.isTTY ? [] : [`--reporter=${join(db.ROOT, 'scripts', 'vitest-progress.mjs')}`];

const say = (msg) => process.stdout.write(`\ntest: ${msg}\n`);
let current = null; // the child process running now, so a signal can end it
let interrupted = null;
let weStarted = false;
let starting = false; // db.start() is bringing nodes up; on a signal it stops them itself, then throws

// The tools run straight from node_modules (no npx layer, which does not pass signals on) in their own
// process group, so a signal to us ends the whole tool, vitest's workers included.
const BIN = {
  tsc: join(db.ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
  vitest: join(db.ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
};

/** Runs a tool; with `lines`, its output goes through that filter ({ line, end }) instead of straight out. */
function run(tool, argv, env = {}, lines = null) {
  return new Promise((resolve) => {
    if (interrupted) return resolve(130);
    const child = spawn(process.execPath, [BIN[tool], ...argv], {
      cwd: db.ROOT,
      stdio: lines ? ['inherit', 'pipe', 'pipe'] : 'inherit',
      detached: true,
      env: { ...process.env, ...env },
    });
    current = child;
    if (lines) {
      const split = lineSplitter((l) => lines.line(l));
      child.stdout.setEncoding('utf8').on('data', (c) => split.push(c));
      child.stderr.setEncoding('utf8').on('data', (c) => split.push(c));
      child.on('close', (code) => {
        split.flush();
        lines.end(code);
      });
    }
    child.on('error', (e) => {
      process.stderr.write(`test: cannot run ${tool}: ${e.message}\n`);
      current = null;
      resolve(127);
    });
    child.on('exit', (code, sig) => {
      current = null;
      resolve(code ?? (sig ? 128 : 1));
    });
  });
}

function killCurrent() {
  if (!current?.pid) return;
  try {
    process.kill(-current.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const phases = [];

/** Runs one vitest project and records its counts from the json reporter. */
async function vitest(name, project, files = [], env = {}) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = join(RESULTS_DIR, `${name}.json`);
  rmSync(out, { force: true });
  say(`${name}: vitest run --project ${project} ${[...files, ...vitestExtra].join(' ')}`);
  const code = await run(
    'vitest',
    [
      'run',
      '--project',
      project,
      '--reporter=default',
      ...PROGRESS_REPORTERS,
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...files,
      ...vitestExtra,
    ],
    env,
  );
  let counts = null;
  try {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    counts = { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + (r.numTodoTests ?? 0) };
  } catch {
    /* vitest died before writing its report */
  }
  record(name, code, counts);
  return code;
}

function record(name, code, counts) {
  const c = counts ?? { passed: 0, failed: 0, skipped: 0 };
  // A phase that failed without failing tests (a crash, no test files, Cassandra down) still counts as one failure.
  if (code !== 0 && c.failed === 0) c.failed = 1;
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped;
  phases.push({ name, code, ...c });
}

let stopping = null; // the one in-flight stop, shared by the signal handler and the normal path
function stopIfOurs() {
  if (stopping) return stopping;
  if (!weStarted) return Promise.resolve();
  weStarted = false;
  stopping = db
    .stop()
    .then(
      () => {},
      (e) => process.stderr.write(`test: stopping Cassandra failed: ${e.message}\n`),
    )
    .finally(() => {
      stopping = null;
    });
  return stopping;
}

async function cassandraPhase(name, nodes, project, files, env) {
  say(`${name}: starting Cassandra (${nodes} node${nodes > 1 ? 's' : ''})`);
  let started;
  starting = true;
  try {
    started = await db.start({ nodes, dcs: 1, auth: false, tls: false, keepData: false });
  } catch (e) {
    process.stderr.write(`test: Cassandra did not start: ${e.message}\n`);
    record(name, 1, null);
    return;
  } finally {
    starting = false;
  }
  if (started.alreadyRunning) {
    say(`using the Cassandra that was already running; it stays running`);
    if ((started.state?.nodes ?? 1) !== nodes) say(`warning: it has ${started.state?.nodes} node(s), this phase wants ${nodes}`);
  } else weStarted = true;
  try {
    await vitest(name, project, files, env);
  } finally {
    await stopIfOurs();
  }
}

async function main() {
  const t0 = Date.now();
  const only = flags.has('--unit-only') ? 'unit' : flags.has('--integration-only') ? 'integration' : null;
  if (!flags.has('--no-build')) {
    say('build: tsc -b');
    const buildSay = (m) => process.stdout.write(`build: ${m}\n`);
    const code = await run(
      'tsc',
      ['-b', '--verbose', '--pretty', 'false'],
      {},
      tscProgress(db.ROOT, buildSay, (l) => process.stdout.write(`${l}\n`)),
    );
    record('build', code, code === 0 ? { passed: 0, failed: 0, skipped: 0 } : null);
  }
  if (only !== 'integration') await vitest('unit', 'unit');
  if (only !== 'unit') {
    // SHARDCQL_TEST_NODES tells the tests which cluster they have (three-nodes tests skip on one node).
    await cassandraPhase('integration', 1, 'integration', [], { SHARDCQL_TEST_NODES: '1' });
    if (threeNodes) {
      await cassandraPhase('three-nodes', 3, 'integration', THREE_NODE_FILES, { SHARDCQL_TEST_NODES: '3' });
    }
  }
  const failedPhases = phases.filter((p) => p.code !== 0).map((p) => p.name);
  say(
    `done in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${phases.map((p) => `${p.name} ${p.code === 0 ? 'ok' : `FAILED (exit ${p.code})`}`).join(', ')}`,
  );
  // The plain closing line CI reads.
  process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
  if (interrupted) return 130;
  return failedPhases.length ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = sig;
    say(`${sig}: stopping`);
    killCurrent();
    // While db.start() runs, it sees the same signal, stops the nodes it was bringing up and throws; main()
    // then winds down. Otherwise stop what we started and leave.
    if (!starting) stopIfOurs().finally(() => process.exit(130));
  });
}

main()
  .then(async (code) => {
    await stopIfOurs();
    process.exit(code);
  })
  .catch(async (e) => {
    process.stderr.write(`test: ${e.stack || e}\n`);
    await stopIfOurs();
    process.exit(1);
  });
