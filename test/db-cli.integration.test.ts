// The launcher's answers to bad input (scripts/db.mjs): a clear message and a non-zero exit, and no
// process left behind. Runs in the integration phase, while `npm test`'s Cassandra is up on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

interface Run {
  code: number | null;
  out: string;
}

/** Runs the launcher asynchronously (a sync spawn would block the worker for a slow `mvn`). */
function db(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/db.mjs', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function cassandraPids(): number[] {
  const r = spawnSync('sh', ['-c', "ps -eo pid=,args= | grep '[C]assandraDaemon' || true"], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

const scratch = mkdtempSync(join(tmpdir(), 'shardcql-db-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('scripts/db.mjs command line', () => {
  it('rejects an unknown sub-command with the usage and exit 2', async () => {
    const r = await db(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.out).toContain("unknown command 'frobnicate'");
    expect(r.out).toContain('usage:');
  });

  it('rejects unknown options and bad node counts with exit 2', async () => {
    const a = await db(['start', '--turbo']);
    expect(a.code).toBe(2);
    expect(a.out).toContain("unknown option '--turbo'");
    const b = await db(['start', '--nodes', '9']);
    expect(b.code).toBe(2);
    expect(b.out).toContain('--nodes must be 1..3');
    const c = await db(['start', '--dcs', '2']);
    expect(c.code).toBe(2);
    expect(c.out).toContain('--dcs 2 needs at least --nodes 2');
  });

  it('says clearly that no JDK 17 is there, exit 3', async () => {
    const r = await db(['fetch'], { SHARDCQL_JAVA_HOME: join(scratch, 'no-such-jdk') });
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/no JDK 17 found/);
  });

  it('reports a failed download with exit 4 and leaves no partial cache', async () => {
    const version = '0.0.0-no-such-version';
    const r = await db(['fetch'], { CASSANDRA_VERSION: version });
    expect(r.code).toBe(4);
    expect(r.out).toContain(`download of Cassandra ${version} from Maven Central failed`);
    const dir = join(root, '.cache', 'cassandra', version);
    expect(existsSync(join(dir, 'lib'))).toBe(false);
    expect(existsSync(join(dir, 'lib.partial'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('refuses to start on a port already taken, exit 5, and starts no process', async () => {
    // 127.0.0.1:9042 is held by the running test Cassandra; if not, we hold it ourselves.
    const holder = net.createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen({ host: '127.0.0.1', port: 9042, exclusive: true }, () => resolve());
    });
    const before = cassandraPids();
    try {
      // A separate state folder, so the launcher does not see the running cluster as its own.
      const r = await db(['start'], { SHARDCQL_DB_DIR: join(scratch, 'db') });
      expect(r.code).toBe(5);
      expect(r.out).toContain('port 127.0.0.1:9042 is not free');
      expect(cassandraPids()).toEqual(before);
      expect(existsSync(join(scratch, 'db')) ? readdirSync(join(scratch, 'db')) : []).toEqual([]);
    } finally {
      if (holder.listening) holder.close();
    }
  }, 60_000);

  it('status reports the running node with its RSS; a second start says so and exits 0', async () => {
    // Status first: were no node of ours running, `start` below would start one and leave it behind.
    const s = await db(['status', '--json']);
    expect(s.code, 'no Cassandra of ours is running: run the tests with `npm test`').toBe(0);
    const st = JSON.parse(s.out) as { nodes: Array<{ host: string; alive: boolean; cql: boolean; rssMiB: number; pid: number }> };
    expect(st.nodes[0]).toMatchObject({ host: '127.0.0.1', alive: true, cql: true });
    expect(st.nodes[0]!.rssMiB).toBeGreaterThan(100);
    expect(cassandraPids()).toContain(st.nodes[0]!.pid);
    const r = await db(['start']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('already running');
    expect(cassandraPids()).toEqual(expect.arrayContaining([st.nodes[0]!.pid]));
  });
});
