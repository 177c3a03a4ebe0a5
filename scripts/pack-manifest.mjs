#!/usr/bin/env node
// The prepack / postpack step of each published package (packages/core, shard-worker, client), run by npm in
// the package's folder on `npm pack` and `npm publish`:
//
//   node ../../scripts/pack-manifest.mjs prepack      before npm reads the files to pack
//   node ../../scripts/pack-manifest.mjs postpack     after the tarball is written (also on the next prepack)
//   node ../../scripts/pack-manifest.mjs postpublish  after `npm publish`, which reads package.json once more
//                                                     after packing for the registry's copy: postpack leaves
//                                                     the packed manifest in place for it
//
// prepack writes the package.json a user gets: without the `source` export conditions (they point at src/*.ts,
// which the tarball does not carry; the repository's tests and worker threads resolve through them) and
// without the scripts (this step has no meaning outside the repository). It also copies the root LICENSE in.
// postpack puts the repository's package.json back. The tarball is otherwise what `files` says.

import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SAVED = '.package.json.prepack'; // the repository's package.json while a pack runs (git-ignored)
const LICENSE_MARK = '.LICENSE.prepack'; // says the LICENSE in the folder is our copy, to remove afterwards

/** The manifest that ships: `source` conditions and scripts removed, all else as written. */
export function packedManifest(pkg) {
  const out = { ...pkg };
  delete out.scripts;
  if (out.exports) out.exports = withoutCondition(out.exports, 'source');
  return out;
}

function withoutCondition(exp, condition) {
  if (typeof exp !== 'object' || exp === null || Array.isArray(exp)) return exp;
  const out = {};
  for (const [k, v] of Object.entries(exp)) if (k !== condition) out[k] = withoutCondition(v, condition);
  return out;
}

function restore(dir) {
  const saved = join(dir, SAVED);
  if (existsSync(saved)) renameSync(saved, join(dir, 'package.json'));
  if (existsSync(join(dir, LICENSE_MARK))) {
    rmSync(join(dir, 'LICENSE'), { force: true });
    rmSync(join(dir, LICENSE_MARK), { force: true });
  }
}

function prepack(dir) {
  restore(dir); // a pack that died before its postpack left our manifest in place: start from the real one
  const file = join(dir, 'package.json');
  const text = readFileSync(file, 'utf8');
  const pkg = JSON.parse(text);
  for (const entry of [pkg.main, pkg.types]) {
    if (entry && !existsSync(join(dir, entry))) {
      throw new Error(`${pkg.name}: ${entry} is missing; build first (npm run build, or node scripts/release.mjs)`);
    }
  }
  writeFileSync(join(dir, SAVED), text);
  writeFileSync(file, `${JSON.stringify(packedManifest(pkg), null, 2)}\n`);
  if (!existsSync(join(dir, 'LICENSE'))) {
    copyFileSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
    writeFileSync(join(dir, LICENSE_MARK), '');
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd] = process.argv.slice(2);
  const dir = process.cwd();
  try {
    if (cmd === 'prepack') prepack(dir);
    else if (cmd === 'postpack') {
      // A dry run never reaches postpublish, and its registry copy goes nowhere.
      if (process.env.npm_command !== 'publish' || process.env.npm_config_dry_run === 'true') restore(dir);
    } else if (cmd === 'postpublish' || cmd === 'restore') restore(dir);
    else throw new Error('usage: node scripts/pack-manifest.mjs prepack|postpack|postpublish|restore (run in a package folder)');
  } catch (e) {
    process.stderr.write(`pack-manifest: ${e.message}\n`);
    process.exit(1);
  }
}
