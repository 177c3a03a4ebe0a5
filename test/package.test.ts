// What a user installs: `npm pack` of the three published packages gives compiled JavaScript, declarations,
// package.json, README.md and LICENSE, and nothing else; the tarballs install in an empty folder; and
// packages/client/README.md's examples run there as written (CommonJS and ES modules, against the CQL stub)
// and compile under `tsc --strict`. The packing runs on a copy of each package folder (package.json,
// README.md, dist/), so the repository's package.json files stay as they are while other test files resolve
// through them; the copy goes through the same prepack step (scripts/pack-manifest.mjs) as a real publish.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version as clientVersion } from '@shardcql/client';
import { DRIVER_VERSION } from '@shardcql/shard-worker';
import { startStub, type StubProcess } from './simulator/stub';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const PACKAGES = ['core', 'shard-worker', 'client'] as const;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackResult {
  name: string;
  version: string;
  filename: string;
  unpackedSize: number;
  files: Array<{ path: string; size: number }>;
}

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown> & {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
  };

/** The fenced block that follows `<!-- example:<name> -->` in packages/client/README.md. */
function readmeExample(name: string): string {
  const text = readFileSync(join(ROOT, 'packages', 'client', 'README.md'), 'utf8');
  const m = new RegExp(`<!-- example:${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  if (!m) throw new Error(`packages/client/README.md has no example:${name} block`);
  return `${m[1]}\n`;
}

/** Every file an `exports` map points at, conditions flattened. */
function exportTargets(exp: unknown, out: string[] = []): string[] {
  if (typeof exp === 'string') out.push(exp);
  else if (exp && typeof exp === 'object') for (const v of Object.values(exp)) exportTargets(v, out);
  return out;
}

function hasKey(exp: unknown, key: string): boolean {
  if (!exp || typeof exp !== 'object') return false;
  return Object.entries(exp).some(([k, v]) => k === key || hasKey(v, key));
}

let tmp: string;
let app: string;
let packed: PackResult[];
let stub: StubProcess;

beforeAll(async () => {
  // Packs what the build made: bring dist/ up to date first (nothing to do after `npm test`'s build).
  await run(process.execPath, [TSC, '-b'], { cwd: ROOT });
  tmp = mkdtempSync(join(tmpdir(), 'shardcql-package-'));
  const stage = join(tmp, 'stage');
  const tarballs = join(tmp, 'tarballs');
  mkdirSync(tarballs);
  cpSync(join(ROOT, 'LICENSE'), join(stage, 'LICENSE'));
  cpSync(join(ROOT, 'scripts', 'pack-manifest.mjs'), join(stage, 'scripts', 'pack-manifest.mjs'));
  packed = [];
  for (const p of PACKAGES) {
    const from = join(ROOT, 'packages', p);
    const to = join(stage, 'packages', p);
    for (const f of ['package.json', 'README.md', 'dist']) cpSync(join(from, f), join(to, f), { recursive: true });
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: to });
    packed.push(...(JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[]));
  }
  stub = await startStub({ host: '127.0.0.101', port: 0 });

  // An application folder that knows nothing of the repository: the tarballs, and @types/node for its
  // TypeScript. `long`, lz4-napi and snappy come from npm's cache when they are there.
  app = join(tmp, 'app');
  const typesNode = manifest(join(ROOT, 'node_modules', '@types', 'node')).version;
  const deps: Record<string, string> = { '@types/node': typesNode };
  for (const r of packed) deps[r.name] = `file:${join(tarballs, r.filename)}`;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'shardcql-package-check', private: true, dependencies: deps }, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: app });
}, 240_000);

afterAll(async () => {
  await stub?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the published packages', () => {
  it('each tarball holds compiled JavaScript, declarations, package.json, README.md and LICENSE, nothing else', () => {
    expect(packed.map((r) => r.name)).toEqual(['@shardcql/core', '@shardcql/shard-worker', '@shardcql/client']);
    for (const r of packed) {
      const paths = r.files.map((f) => f.path);
      expect(
        paths.filter((f) => !/^(dist\/.+\.(js|d\.ts)|package\.json|README\.md|LICENSE)$/.test(f)),
        r.name,
      ).toEqual([]);
      expect(paths, r.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']));
      // No sources, maps, build info or tests: the client alone was 1.6 MB unpacked with them.
      expect(r.unpackedSize, r.name).toBeLessThan(1_000_000);
    }
    expect(readFileSync(join(app, 'node_modules', '@shardcql', 'client', 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  it("the installed package.json points every export at a file it ships, without the repository's `source` condition", () => {
    for (const p of PACKAGES) {
      const dir = join(app, 'node_modules', '@shardcql', p);
      const m = manifest(dir);
      expect(hasKey(m['exports'], 'source'), m.name).toBe(false);
      expect(m['scripts'], m.name).toBeUndefined();
      for (const target of [m['main'], m['types'], ...exportTargets(m['exports'])]) {
        expect(existsSync(join(dir, String(target))), `${m.name}: ${String(target)}`).toBe(true);
      }
    }
  });

  it('the three packages share one version: their package.json, their dependencies on each other, `version` and the STARTUP DRIVER_VERSION', async () => {
    const repo = PACKAGES.map((p) => manifest(join(ROOT, 'packages', p)));
    const v = repo[0]!.version;
    expect(v).toMatch(/^0\.\d+\.\d+(-[0-9A-Za-z.]+)?$/);
    for (const m of repo) {
      expect(m.version, m.name).toBe(v);
      for (const [dep, range] of Object.entries(m.dependencies ?? {}))
        if (dep.startsWith('@shardcql/')) expect(range, `${m.name} -> ${dep}`).toBe(v);
    }
    expect(clientVersion).toBe(v);
    expect(DRIVER_VERSION).toBe(v);
    const installed = await run(process.execPath, ['-p', "require('@shardcql/client').version"], { cwd: app });
    expect(installed.stdout.trim()).toBe(v);
  });
});

describe("packages/client/README.md's examples, against the installed tarballs", () => {
  const env = () => ({ ...process.env, CASSANDRA_HOST: stub.host, CASSANDRA_PORT: String(stub.port), CASSANDRA_DC: 'datacenter1' });
  const expected = ['connected: Cassandra 5.0.0', 'uuid 36 chars, long 9007199254740993', 'rejected: true, code 0x2000'];

  it('CommonJS: require, connect, query, types, a server error, shutdown', async () => {
    writeFileSync(join(app, 'example.cjs'), readmeExample('cjs'));
    const { stdout } = await run(process.execPath, ['example.cjs'], { cwd: app, env: env(), timeout: 30_000 });
    expect(stdout.trim().split('\n')).toEqual(expected);
  });

  it('ES modules: named imports from the CommonJS build', async () => {
    writeFileSync(join(app, 'example.mjs'), readmeExample('esm'));
    const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: app, env: env(), timeout: 30_000 });
    expect(stdout.trim().split('\n')).toEqual(expected);
  });

  it('TypeScript: compiles with strict, the shipped declarations checked too (skipLibCheck off), as CommonJS and as ESM', async () => {
    const ts = readmeExample('ts');
    writeFileSync(join(app, 'example.ts'), ts);
    writeFileSync(join(app, 'example.mts'), ts);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2022',
          types: ['node'],
        },
        files: ['example.ts', 'example.mts'],
      }),
    );
    const r = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app }).catch((e: { stdout: string }) => ({
      stdout: e.stdout,
      failed: true,
    }));
    expect(r.stdout).toBe('');
    expect('failed' in r).toBe(false);
  }, 120_000);
});
