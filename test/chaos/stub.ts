/**
 * The Go stub for the chaos tests: bench/src/stub.ts starts it, rebuilding it first when its sources are
 * newer than the binary. The stub's sources are edited by other work in the same checkout; when a rebuild
 * fails (a half-written change), the chaos tests fall back to the binary already built rather than failing
 * on someone else's work in progress. The flags they use (-nodes, -shards, -tokens, -v5) are old ones.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureStubBuilt, startStub, STUB_BIN, type StubOptions, type StubProcess } from '../../bench/src/stub';

export async function startChaosStub(opts: StubOptions): Promise<StubProcess> {
  try {
    ensureStubBuilt();
  } catch (e) {
    if (!existsSync(STUB_BIN)) throw e;
    // eslint-disable-next-line no-console
    console.warn(`[chaos] the stub does not build now (${(e as Error).message.split('\n')[0]}); using the binary built before`);
    return startPrebuilt(opts);
  }
  return startStub(opts);
}

function startPrebuilt(opts: StubOptions): Promise<StubProcess> {
  const host = opts.host ?? '127.0.0.1';
  const args = ['-addr', `${host}:${opts.port ?? 9042}`];
  if (opts.v5) args.push('-v5');
  if (opts.shards) args.push('-shards', String(opts.shards));
  if (opts.extraArgs) args.push(...opts.extraArgs);
  const child = spawn(STUB_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cql-stub did not start within 10 s: ${out}${err}`));
    }, 10_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`cql-stub exited with code ${code}: ${err}`));
    };
    child.once('exit', onExit);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+):(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      child.off('exit', onExit);
      resolve({
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
      });
    });
  });
}
