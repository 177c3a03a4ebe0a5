#!/usr/bin/env node
// Releases the three published packages (@shardcql/core, @shardcql/shard-worker, @shardcql/client) together,
// under one version.
//
//   node scripts/release.mjs                    dry run: checks the versions, rebuilds dist/ from scratch and
//                                               lists what each tarball would hold; publishes nothing
//   node scripts/release.mjs bump <version>     sets <version> in the three packages, their dependencies on
//                                               each other, bench's, and package-lock.json (commit it yourself)
//   node scripts/release.mjs publish [--tag T]  clean git tree required: rebuilds, runs test/package.test.ts,
//                                               publishes core, shard-worker, client in that order, tags v<version>
//
// Versions: 0.MINOR.PATCH until the drop-in promise holds (types and errors included). A MINOR release may
// change behaviour or the API; a PATCH release only fixes. A pre-release (0.3.0-rc.1) is published under the
// dist-tag `next` unless --tag says otherwise.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['core', 'shard-worker', 'client']; // dependency order: each needs only the ones before it
const say = (m) => process.stdout.write(`release: ${m}\n`);
const fail = (m) => {
  process.stderr.write(`release: ${m}\n`);
  process.exit(1);
};

const pkgFile = (p) => join(ROOT, 'packages', p, 'package.json');
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));
const writeJson = (f, v) => writeFileSync(f, `${JSON.stringify(v, null, 2)}\n`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.error?.message})`);
  return r;
}

/** The one version of the three packages; fails when they or their dependencies on each other disagree. */
function lockStepVersion() {
  const versions = PACKAGES.map((p) => readJson(pkgFile(p)));
  const v = versions[0].version;
  for (const m of versions) {
    if (m.version !== v) fail(`${m.name} is ${m.version}, @shardcql/core is ${v}: run \`node scripts/release.mjs bump <version>\``);
    for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
      if (dep.startsWith('@shardcql/') && range !== v) fail(`${m.name} depends on ${dep}@${range}, not ${v}`);
    }
  }
  return v;
}

function bump(version) {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(version ?? '')) fail('usage: node scripts/release.mjs bump <major.minor.patch[-pre]>');
  const setDeps = (m) => {
    for (const dep of Object.keys(m.dependencies ?? {})) if (dep.startsWith('@shardcql/')) m.dependencies[dep] = version;
  };
  for (const p of PACKAGES) {
    const m = readJson(pkgFile(p));
    m.version = version;
    setDeps(m);
    writeJson(pkgFile(p), m);
  }
  const bench = join(ROOT, 'bench', 'package.json');
  const b = readJson(bench);
  setDeps(b);
  writeJson(bench, b);
  sh('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund', '--prefer-offline']);
  say(`the packages are at ${version}; commit package.json files and package-lock.json`);
}

/** dist/ from scratch, so no output of a deleted or renamed source ships. */
function cleanBuild() {
  for (const p of PACKAGES) rmSync(join(ROOT, 'packages', p, 'dist'), { recursive: true, force: true });
  say('building from scratch (tsc -b, about a minute)');
  sh(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', '--verbose']);
}

function dryRun() {
  const v = lockStepVersion();
  say(`version ${v}`);
  cleanBuild();
  for (const p of PACKAGES) {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json'], {
      cwd: join(ROOT, 'packages', p),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) fail(`npm pack --dry-run of packages/${p} failed`);
    const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
    const kinds = {};
    for (const f of info.files) {
      const k = /\.d\.ts$/.test(f.path) ? '.d.ts' : /\.js$/.test(f.path) ? '.js' : f.path;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    say(
      `${info.name}@${info.version}: ${info.filename}, ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked; ${Object.entries(
        kinds,
      )
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')}`,
    );
  }
  say('dry run: nothing published. `node scripts/release.mjs publish` publishes these.');
}

function publish(tag) {
  const v = lockStepVersion();
  const dirty = spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  if (dirty) fail('the git tree has changes: commit or stash them first');
  const distTag = tag ?? (v.includes('-') ? 'next' : 'latest');
  cleanBuild();
  say('checking the tarballs (test/package.test.ts)');
  sh(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'unit', 'test/package.test.ts']);
  for (const p of PACKAGES) {
    const dir = join(ROOT, 'packages', p);
    say(`publishing @shardcql/${p}@${v} (dist-tag ${distTag})`);
    const r = spawnSync('npm', ['publish', '--access', 'public', '--tag', distTag], { cwd: dir, stdio: 'inherit' });
    // A publish that failed after packing skips postpublish: put the repository's package.json back.
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'pack-manifest.mjs'), 'restore'], { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) fail(`npm publish of packages/${p} failed (exit ${r.status ?? r.error?.message})`);
  }
  sh('git', ['tag', `v${v}`]);
  say(`published ${v}; tagged v${v} (git push origin v${v})`);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === undefined || cmd === '--dry-run') dryRun();
else if (cmd === 'bump') bump(rest[0]);
else if (cmd === 'publish') {
  const i = rest.indexOf('--tag');
  publish(i >= 0 ? rest[i + 1] : undefined);
} else fail(`unknown command '${cmd}'\nusage: node scripts/release.mjs [bump <version> | publish [--tag T]]`);
