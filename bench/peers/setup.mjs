#!/usr/bin/env node
// npm run bench:setup [-- --only a,b] [--force]: builds or installs every benchmark peer from its
// registry (Go module proxy, crates.io, npm, PyPI) at the versions pinned in its manifest (@scylladb/driver:
// from its source tarball in ../shared/peers/, see below), skipping those already built, and goes on with
// the others when one fails. Exit code 1 if any failed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PEERS_DIR = dirname(fileURLToPath(import.meta.url));
const BENCH = resolve(PEERS_DIR, '..');
const BIN = join(BENCH, '.bin');
const VENV = join(BENCH, '.venv');
// The CQL stub and ScyllaDB simulator (test infrastructure) and where test/simulator/stub.ts builds it.
const SIMULATOR = resolve(BENCH, '..', 'test', 'simulator');

const args = process.argv.slice(2);
const force = args.includes('--force');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(',')) : null;

/** Newest mtime of the files under the given paths (recursively), ignoring build output. */
function newest(...paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const e of readdirSync(p)) {
        if (e === 'node_modules' || e === 'target' || e.startsWith('.')) continue;
        t = Math.max(t, newest(join(p, e)));
      }
    } else t = Math.max(t, s.mtimeMs);
  }
  return t;
}

const upToDate = (out, ...srcs) => !force && existsSync(out) && statSync(out).mtimeMs >= newest(...srcs);

function run(cmd, argv, opts = {}) {
  console.log(`  $ ${cmd} ${argv.join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`);
  execFileSync(cmd, argv, { stdio: 'inherit', ...opts });
}

function goPeer(name) {
  const dir = join(PEERS_DIR, name);
  const out = join(BIN, `peer-${name}`);
  if (upToDate(out, dir, join(PEERS_DIR, 'gocommon'))) return `up to date (${out})`;
  // -mod=readonly: go.mod/go.sum are committed and must already list every module (no silent upgrades).
  run('go', ['build', '-mod=readonly', '-trimpath', '-o', out, '.'], { cwd: dir });
  return `built ${out}`;
}

// ---- @scylladb/driver from its source tarball ------------------------------------------------------
// The shared/ folder beside the checkout (SHARDCQL_SHARED_DIR overrides it, e.g. for a worktree elsewhere).
const SHARED = process.env.SHARDCQL_SHARED_DIR ?? resolve(BENCH, '..', '..', 'shared');
// Where it is built; bench/src/drivers/scylladb-node.ts and peers/scylladb-node/peer.mjs load it from here.
const SCYLLA_BUILD = join(BENCH, '.peers', 'scylladb-driver');
const SCYLLA_STAMP = join(SCYLLA_BUILD, '.built-from');

function scyllaTarball() {
  const dir = join(SHARED, 'peers');
  if (!existsSync(dir)) return null;
  const found = readdirSync(dir)
    .filter((f) => /^scylladb-nodejs-rs-driver-.*\.tar\.gz$/.test(f))
    .sort();
  return found.length > 0 ? join(dir, found[found.length - 1]) : null;
}

function buildScyllaDriver(tarball) {
  const src = join(SCYLLA_BUILD, 'nodejs-rs-driver');
  const built = () =>
    existsSync(src) && readdirSync(src).some((f) => /^index\..*\.node$/.test(f)) && existsSync(join(src, 'lib', 'client.js'));
  if (!force && existsSync(SCYLLA_STAMP) && readFileSync(SCYLLA_STAMP, 'utf8') === basename(tarball) && built()) {
    return `up to date (${src})`;
  }
  // Another tarball: a fresh tree. The same one: extracted over the last attempt, whose cargo target/ makes the
  // build incremental (tar keeps the sources' mtimes). The stamp is written last, so a half-finished build
  // never counts as built.
  const stamp = existsSync(SCYLLA_STAMP) ? readFileSync(SCYLLA_STAMP, 'utf8') : null;
  if (stamp !== null && stamp !== basename(tarball)) rmSync(SCYLLA_BUILD, { recursive: true, force: true });
  rmSync(SCYLLA_STAMP, { force: true });
  mkdirSync(SCYLLA_BUILD, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', SCYLLA_BUILD]);
  run('nice', ['-n', '19', 'npm', 'ci', '--no-audit', '--no-fund'], { cwd: src });
  run('nice', ['-n', '19', 'npm', 'run', 'build'], { cwd: src });
  if (!built()) throw new Error(`npm run build left no index.*.node or lib/client.js in ${src}`);
  writeFileSync(SCYLLA_STAMP, basename(tarball));
  return `built ${src} from ${tarball}`;
}

const steps = {
  'cql-stub'() {
    const out = join(SIMULATOR, '.bin', 'cql-stub');
    if (upToDate(out, SIMULATOR)) return `up to date (${out})`;
    run('go', ['build', '-o', out, '.'], { cwd: SIMULATOR });
    return `built ${out}`;
  },
  gocql: () => goPeer('gocql'),
  'scylla-go-driver': () => goPeer('scylla-go-driver'),
  'scylla-rust'() {
    const dir = join(PEERS_DIR, 'scylla-rust');
    const out = join(BIN, 'peer-scylla-rust');
    if (upToDate(out, dir)) return `up to date (${out})`;
    const target = join(BIN, 'cargo-target');
    // --locked: Cargo.lock is committed; release build (first build takes several minutes on 2 cores).
    run('cargo', ['build', '--release', '--locked'], { cwd: dir, env: { ...process.env, CARGO_TARGET_DIR: target } });
    copyFileSync(join(target, 'release', 'scylla-rust-peer'), out);
    return `built ${out}`;
  },
  'scylladb-node'() {
    // @scylladb/driver: no registry here serves it; its source tarball sits in the shared/ folder beside the
    // checkout (../shared/peers/ from the repository root). Built with its own `npm ci && npm run build` into
    // bench/.peers/ (git-ignored), niced: the build takes ~10 min of both CPUs.
    const tarball = scyllaTarball();
    if (tarball !== null) return buildScyllaDriver(tarball);
    // No tarball: the npm package the runner's manifest names (not served here either, kept for machines that have it).
    const dir = join(PEERS_DIR, 'scylladb-node');
    // The manifest's one dependency is the driver (its npm name changed between releases).
    const [pkg, want] = Object.entries(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies)[0];
    const installed = join(dir, 'node_modules', ...pkg.split('/'), 'package.json');
    if (!force && existsSync(installed) && JSON.parse(readFileSync(installed, 'utf8')).version === want) {
      return `up to date (${pkg} ${want})`;
    }
    // Its own package.json + package-lock.json: installed apart from the root workspace.
    if (existsSync(join(dir, 'package-lock.json'))) run('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund']);
    else run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--workspaces=false']);
    return `installed ${pkg} ${want}`;
  },
  python() {
    const req = join(PEERS_DIR, 'python', 'requirements.txt');
    const stamp = join(VENV, '.requirements');
    const want = readFileSync(req, 'utf8');
    if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return `up to date (${VENV})`;
    if (!existsSync(join(VENV, 'bin', 'python'))) run('python3', ['-m', 'venv', VENV]);
    run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', req]);
    writeFileSync(stamp, want);
    return `installed ${want.trim().split('\n').join(', ')} into ${VENV}`;
  },
};

mkdirSync(BIN, { recursive: true });
const results = [];
for (const [name, step] of Object.entries(steps)) {
  if (only && !only.has(name)) continue;
  console.log(`== ${name}`);
  const t0 = Date.now();
  try {
    const what = step();
    results.push([name, 'ok', what, Date.now() - t0]);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    console.error(`  ${name} FAILED: ${msg}`);
    results.push([name, 'FAILED', msg, Date.now() - t0]);
  }
}
console.log('\nbench:setup summary');
for (const [name, status, what, ms] of results)
  console.log(`  ${name.padEnd(18)} ${status.padEnd(7)} ${(ms / 1000).toFixed(1).padStart(6)} s  ${what}`);
process.exit(results.some((r) => r[1] !== 'ok') ? 1 : 0);
