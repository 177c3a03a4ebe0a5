// Builds the Go CQL stub and ScyllaDB simulator (the Go sources beside this file) into
// test/simulator/.bin/cql-stub (git-ignored) when missing or older than its sources, and starts it,
// optionally pinned to one CPU with taskset. Used by the unit tests, the chaos tests and the benchmark.
// Run directly (`npm run stub -- -addr 127.0.0.1:9042`) it builds and starts a stub in the foreground.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The simulator's Go module (this folder). */
export const STUB_SRC = resolve(__dirname);
/** The built binary; git-ignored. */
export const STUB_BIN = join(STUB_SRC, '.bin', 'cql-stub');

/** Builds the stub if the binary is missing or older than any of its Go sources; returns its path. */
export function ensureStubBuilt(force = false): string {
  let newest = 0;
  for (const f of readdirSync(STUB_SRC)) {
    if (f.endsWith('.go') || f === 'go.mod') newest = Math.max(newest, statSync(join(STUB_SRC, f)).mtimeMs);
  }
  if (force || !existsSync(STUB_BIN) || statSync(STUB_BIN).mtimeMs < newest) {
    execFileSync('go', ['build', '-o', STUB_BIN, '.'], { cwd: STUB_SRC, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return STUB_BIN;
}

export interface StubOptions {
  /** Listen host; default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 picks a free one. Default 9042. */
  port?: number;
  /** Accept protocol v5 (v5 framing). */
  v5?: boolean;
  /** Announce ScyllaDB sharding with this many shards. */
  shards?: number;
  /** Pin the stub to this CPU (taskset -c); undefined: no pinning. */
  cpu?: number;
  /** Extra command-line flags. */
  extraArgs?: string[];
}

export interface StubProcess {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the stub and resolves once it prints "listening <addr>". */
export function startStub(opts: StubOptions = {}): Promise<StubProcess> {
  const bin = ensureStubBuilt();
  const host = opts.host ?? '127.0.0.1';
  const args = ['-addr', `${host}:${opts.port ?? 9042}`];
  if (opts.v5) args.push('-v5');
  if (opts.shards) args.push('-shards', String(opts.shards));
  if (opts.extraArgs) args.push(...opts.extraArgs);
  // taskset execs the stub in place, so the child's pid is the stub's.
  const child =
    opts.cpu === undefined
      ? spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(opts.cpu), bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cql-stub did not start within 10 s: ${out}${err}`));
    }, 10_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cql-stub exited with code ${code}: ${err}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+):(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      child.removeAllListeners('exit');
      const stub: StubProcess = {
        pid: child.pid!,
        host,
        port: Number(m[2]),
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            process.kill(child.pid!, 'SIGTERM');
          }),
      };
      resolvePromise(stub);
    });
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--build') {
    console.log(ensureStubBuilt(true));
  } else {
    const bin = ensureStubBuilt();
    const child = spawn(bin, argv, { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 1));
  }
}
