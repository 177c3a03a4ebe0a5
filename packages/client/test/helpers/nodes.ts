// Killing and restarting one node of the test bed (scripts/db.mjs) from a test: the killed JVM's own command line
// (/proc/<pid>/cmdline, cwd, environ) is re-run and its pid file rewritten, so `db.mjs stop` still stops it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DB_DIR } from '../../../../scripts/db.mjs';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Killed {
  n: number;
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function kill(n: number): Killed {
  const pidPath = join(DB_DIR as string, `node${n}`, 'cassandra.pid');
  const pid = Number(readFileSync(pidPath, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((s) => s !== '');
  const cwd = readlinkSync(`/proc/${pid}/cwd`);
  const env: NodeJS.ProcessEnv = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  process.kill(pid, 'SIGKILL');
  return { n, argv, cwd, env };
}

export function restart(k: Killed): void {
  const out = openSync(join(DB_DIR as string, `node${k.n}`, 'logs', 'stdout.log'), 'a');
  const child = spawn(k.argv[0]!, k.argv.slice(1), { cwd: k.cwd, env: k.env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  writeFileSync(join(DB_DIR as string, `node${k.n}`, 'cassandra.pid'), `${child.pid}\n`);
}

export async function until(what: string, cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - t0;
}
