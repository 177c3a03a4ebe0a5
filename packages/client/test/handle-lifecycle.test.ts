// Client handles live and die with their client (issue 12, cases 3 and 4): the owner's shutdown and a shard
// worker's crash reach the threads using its handles at once, a handle thread exits by itself, and a handle
// thread's requester is given back when its client shuts down or the thread ends, so handles can be made
// without bound. Against the Go stub; the stub is stopped (SIGSTOP) to hold requests in flight.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { Client, types, type ClientHandle } from '@shardcql/client';
import type { ShardedEngine } from '../src/engine/sharded-engine';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import type { HandleThreadCommand, HandleThreadReport } from './fixtures/handle-thread-impl';

const HOST = '127.0.0.61';
const QUERY = "SELECT key FROM system.local WHERE key='local'";
type Settled = Extract<HandleThreadReport, { type: 'settled' }>;

/** A worker thread running fixtures/handle-thread-impl.ts on `handle`, and what it reported. */
class HandleThread {
  readonly worker: Worker;
  readonly exited: Promise<number>;
  private readonly reports: HandleThreadReport[] = [];
  private wake: (() => void) | null = null;

  constructor(handle: ClientHandle) {
    this.worker = new Worker(join(__dirname, 'fixtures', 'handle-thread.cjs'), {
      workerData: { handle, query: QUERY },
      execArgv: ['--conditions=source'],
    });
    this.worker.on('message', (m: HandleThreadReport) => {
      this.reports.push(m);
      this.wake?.();
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  post(c: HandleThreadCommand): void {
    this.worker.postMessage(c);
  }

  /** The next `n` reports of `type` (in order), or a rejection naming how many came within `timeoutMs`. */
  async take<T extends HandleThreadReport['type']>(
    type: T,
    n: number,
    timeoutMs: number,
  ): Promise<Array<Extract<HandleThreadReport, { type: T }>>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.reports.filter((r) => r.type === type);
      if (got.length >= n) {
        const out = got.slice(0, n);
        for (const r of out) this.reports.splice(this.reports.indexOf(r), 1);
        return out as Array<Extract<HandleThreadReport, { type: T }>>;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${got.length} of ${n} '${type}' reports within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Sends `n` requests and waits until the thread has issued them. */
  async send(n: number): Promise<void> {
    this.post({ op: 'send', n });
    // Generous: a new thread compiles the sources first, slowly on a loaded machine.
    await this.take('sent', 1, 60_000);
  }
}

function engineOf(client: Client): ShardedEngine {
  return (client as unknown as { engine: ShardedEngine }).engine;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with 'exited' or 'running' after at most `ms`. */
function exitWithin(t: HandleThread, ms: number): Promise<'exited' | 'running'> {
  return Promise.race([t.exited.then(() => 'exited' as const), new Promise<'running'>((r) => setTimeout(() => r('running'), ms).unref())]);
}

describe('client handles live and die with their client (Go stub)', { timeout: 180_000 }, () => {
  let stub: StubProcess;
  const owners: Client[] = [];
  const threads: HandleThread[] = [];

  // Two workers, one connection in each (connection c of the node lives in worker c).
  const newOwner = async (): Promise<Client> => {
    const c = new Client({
      contactPoints: [HOST],
      localDataCenter: 'datacenter1',
      protocolOptions: { port: stub.port },
      pooling: { coreConnectionsPerHost: { [types.distance.local]: 2 } },
      shardcql: { workers: 2, directLane: 0 },
    });
    owners.push(c);
    await c.connect();
    return c;
  };
  const newThread = (h: ClientHandle): HandleThread => {
    const t = new HandleThread(h);
    threads.push(t);
    return t;
  };
  const pause = (): void => void process.kill(stub.pid, 'SIGSTOP');
  const resume = (): void => void process.kill(stub.pid, 'SIGCONT');

  beforeAll(async () => {
    stub = await startStub({ host: HOST, port: 0 });
  });

  afterEach(async () => {
    resume();
    await Promise.all(threads.splice(0).map((t) => t.worker.terminate()));
    await Promise.all(owners.splice(0).map((c) => c.shutdown().catch(() => undefined)));
  });

  afterAll(async () => {
    await stub?.stop();
  });

  it("fails a handle thread's requests in flight at once when the owner shuts down; later ones fail at once; the thread exits by itself", async () => {
    const owner = await newOwner();
    const t = newThread(await owner.createHandle({ threads: 2 }));
    await t.send(1);
    expect((await t.take('settled', 1, 30_000))[0]!.ok).toBe(true);

    pause();
    await t.send(20);
    const t0 = Date.now();
    const shutdown = owner.shutdown();
    const inFlight = await t.take('settled', 20, 5_000);
    for (const s of inFlight) {
      expect(s.ok).toBe(false);
      expect(s.name).toBe('DriverError');
      expect(s.message).toMatch(/shut down/);
      expect(s.at - t0).toBeLessThan(1000);
    }

    await t.send(1);
    const after = (await t.take('settled', 1, 5_000))[0]!;
    expect(after.ok).toBe(false);
    expect(after.name).toBe('NoHostAvailableError');
    expect(after.message).toMatch(/shut down/);
    expect(after.ms).toBeLessThan(200);

    // Nothing of the client keeps the thread alive, though it never shut its client down.
    t.post({ op: 'end' });
    expect(await exitWithin(t, 10_000)).toBe('exited');
    resume();
    await shutdown;
  });

  it('lets a handle client shut down at once after its owner did, and fails at once in a thread that takes the handle later', async () => {
    const owner = await newOwner();
    const handle = await owner.createHandle();
    const before = Client.fromHandle(handle);
    await before.execute(QUERY);
    pause();
    const pending = before.execute(QUERY).catch((e: Error) => e);
    // The owner's own shutdown waits for the stopped node (its connections close gracefully); its handles do not.
    const shutdown = owner.shutdown();
    expect(await pending).toMatchObject({ name: 'DriverError', message: expect.stringMatching(/shut down/) });
    const t1 = Date.now();
    await before.shutdown();
    expect(Date.now() - t1).toBeLessThan(200);
    resume();
    await shutdown;
    const t0 = Date.now();
    await expect(Client.fromHandle(handle).execute(QUERY)).rejects.toMatchObject({
      name: 'NoHostAvailableError',
      message: expect.stringMatching(/shut down/),
    });
    expect(Date.now() - t0).toBeLessThan(200);
  });

  it("fails a handle thread's requests in flight when the owner's thread ends without shutting its client down", async () => {
    const ownerThread = new Worker(join(__dirname, 'fixtures', 'owner-thread.cjs'), {
      workerData: { host: HOST, port: stub.port },
      execArgv: ['--conditions=source'],
    });
    try {
      const { handle } = await new Promise<{ handle: ClientHandle }>((resolve, reject) => {
        ownerThread.once('message', resolve);
        ownerThread.once('error', reject);
      });
      const t = newThread(handle);
      await t.send(1);
      expect((await t.take('settled', 1, 30_000))[0]!.ok).toBe(true);
      pause();
      await t.send(10);
      const t0 = Date.now();
      await ownerThread.terminate();
      // Found within two probes (HANDLE_PROBE_MS = 2 s each).
      for (const s of await t.take('settled', 10, 8_000)) {
        expect(s).toMatchObject({ ok: false, name: 'DriverError', message: expect.stringMatching(/is gone/) });
        expect(s.at - t0).toBeLessThan(6_000);
      }
      await t.send(1);
      expect((await t.take('settled', 1, 1_000))[0]).toMatchObject({ ok: false, name: 'NoHostAvailableError' });
      t.post({ op: 'end' });
      expect(await exitWithin(t, 10_000)).toBe('exited');
    } finally {
      await ownerThread.terminate();
    }
  });

  it('gives back the requester of a thread that exits, or is terminated, without shutting its client down', async () => {
    const owner = await newOwner();
    const engine = engineOf(owner);
    const handle = await owner.createHandle({ threads: 2 });
    const quiet = newThread(handle);
    const killed = newThread(handle);
    for (const t of [quiet, killed]) {
      await t.send(1);
      expect((await t.take('settled', 1, 30_000))[0]!.ok).toBe(true);
    }
    expect(engine.handleThreadCount).toBe(2);
    quiet.post({ op: 'end' });
    expect(await exitWithin(quiet, 10_000)).toBe('exited');
    await until('the exited thread to give its requester back', () => engine.handleThreadCount === 1, 10_000);
    // terminate() runs no exit hook: the owner's liveness probe finds the thread gone.
    await killed.worker.terminate();
    await until('the terminated thread to be found gone', () => engine.handleThreadCount === 0, 10_000);
    // Both thread slots of the handle are free again.
    const again = [newThread(handle), newThread(handle)];
    for (const t of again) {
      await t.send(1);
      expect((await t.take('settled', 1, 30_000))[0]!.ok).toBe(true);
    }
    expect(engine.handleRequesterHighWater).toBe(2);
  });

  it("gives a released requester's index to the next thread at once, and the old thread's late answers never reach it", async () => {
    const owner = await newOwner();
    const engine = engineOf(owner);
    const handle = await owner.createHandle({ threads: 1 });
    const old = newThread(handle);
    await until('the first thread to hold a requester', () => engine.handleThreadCount === 1, 60_000);
    pause();
    // Answered with syntax errors once the node runs again: were they handed to the next thread, its
    // requests (same index, same request ids) would fail with them.
    old.post({ op: 'send-bad', n: 5 });
    await old.take('sent', 1, 60_000);
    await old.worker.terminate();
    await until('the terminated thread to be found gone', () => engine.handleThreadCount === 0, 10_000);
    const next = newThread(handle);
    await until('the next thread to hold a requester', () => engine.handleThreadCount === 1, 60_000);
    expect(engine.handleRequesterHighWater).toBe(1);
    await next.send(5);
    resume();
    for (const r of await next.take('settled', 5, 15_000)) expect(r).toMatchObject({ ok: true });
  });

  it('fails only the handle requests a crashed worker held; the handle works again after the restart', async () => {
    // A handle alternates between the node's two connections, so between the two workers.
    const owner = await newOwner();
    const engine = engineOf(owner);
    const t = newThread(await owner.createHandle({ threads: 1 }));
    await t.send(1);
    expect((await t.take('settled', 1, 30_000))[0]!.ok).toBe(true);
    await until('the thread to hold a requester', () => engine.handleThreadCount === 1, 60_000);

    pause();
    await t.send(10);
    const t0 = Date.now();
    engine.crashWorkerForTest(0);
    // Those worker 0 held fail at once, typed; those of worker 1 wait for the node.
    const failed = await collectUpTo(t, 10, 5_000);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(10);
    for (const f of failed) {
      expect(f.ok).toBe(false);
      expect(f.name).toBe('DriverError');
      expect(f.message).toMatch(/shard worker 0 stopped/);
      expect(f.at - t0).toBeLessThan(3_000);
    }
    resume();
    const rest = await t.take('settled', 10 - failed.length, 15_000);
    for (const r of rest) expect(r.ok).toBe(true);

    // After the restart, requests through the handle reach both workers again.
    await until('worker 0 to be back', () => owner.getState().getConnectedHosts().length === 1 && engine.workerCount === 2, 60_000);
    const deadline = Date.now() + 20_000;
    let allOk = false;
    while (!allOk && Date.now() < deadline) {
      await t.send(10);
      const round = await t.take('settled', 10, 15_000);
      allOk = round.every((r) => r.ok);
      if (!allOk) await new Promise((r) => setTimeout(r, 200));
    }
    expect(allOk).toBe(true);
  });

  it('makes 200 handles of 16 threads each, used and released by 4 pool threads at once: indexes are reused, the owner keeps no memory of them', async () => {
    const owner = await newOwner();
    const engine = engineOf(owner);
    const pool = [];
    for (let i = 0; i < 4; i++) pool.push(newThread(await owner.createHandle()));
    // Each thread in turn takes a new handle, sends one request through it and shuts that client down.
    const cycles = (perThread: number): Promise<unknown> =>
      Promise.all(
        pool.map(async (t) => {
          for (let i = 0; i < perThread; i++) {
            t.post({ op: 'cycle', handle: await owner.createHandle() });
            expect((await t.take('cycled', 1, 60_000))[0]).toMatchObject({ ok: true });
          }
        }),
      );
    await cycles(5);
    const before = await arrayBufferBytes();
    await cycles(50);
    // Each thread's first client (made from its first handle) is still open.
    await until('the last release', () => engine.handleThreadCount === 4, 10_000);
    const after = await arrayBufferBytes();
    // The threads' rings are their own memory; a handle costs the owner a few bytes (it used to make 16 ring
    // sets up front: 16 MiB each, and the 64th call failed).
    expect(after - before).toBeLessThan(2 * 1024 * 1024);
    // 4 first clients and 4 cycling ones at a time.
    expect(engine.handleRequesterHighWater).toBeLessThanOrEqual(12);
  });

  it("lets a released handle client, its rings and its requester be collected in the handle's thread", async () => {
    const owner = await newOwner();
    const refs: Array<WeakRef<object>> = [];
    const cycle = async (): Promise<void> => {
      const c = Client.fromHandle(await owner.createHandle());
      await c.execute(QUERY);
      await c.shutdown();
      const e = (c as unknown as { engine: { requester: { descriptor: { workers: Array<{ requests: SharedArrayBuffer }> } } } }).engine;
      refs.push(new WeakRef(c), new WeakRef(e), new WeakRef(e.requester.descriptor.workers[0]!.requests));
    };
    for (let i = 0; i < 5; i++) await cycle();
    await arrayBufferBytes();
    expect(refs.filter((r) => r.deref() !== undefined).length).toBe(0);
  });
});

/** The ArrayBuffer and SharedArrayBuffer bytes this thread's allocator holds, after collecting garbage. */
async function arrayBufferBytes(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().arrayBuffers;
}

/** Whatever settled reports arrive within `ms` (up to n). */
async function collectUpTo(t: HandleThread, n: number, ms: number): Promise<Settled[]> {
  const out: Settled[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) {
    const got = await t.take('settled', 1, Math.max(1, deadline - Date.now())).catch(() => [] as Settled[]);
    out.push(...got);
  }
  return out;
}
