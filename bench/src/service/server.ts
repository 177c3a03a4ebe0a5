// The service under test, one process per run (started by service/cli.ts pinned to the client CPU): an
// HTTP server (node:http) whose every request does a read, a set amount of CPU work, then 0-2 more queries
// (handler.ts), either on the main thread ('inline') or in a piscina pool ('piscina', pool-task-impl.ts).
// GET / serves a request; POST /_bench/start and /_bench/stop bracket the measured window and the latter
// answers with what the service measured in it (WindowStats). Prints "listening <port>" when ready.
// Usage: node --import tsx bench/src/service/server.ts '<ServiceArgs as JSON>'

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { mainThreadCpuUs } from '../thread-cpu';
import { ServiceDb, type DbAddress } from './db';
import { serveRequest, type RequestShape } from './handler';
import type { PoolData } from './pool-task-impl';
import { MainThreadProfiler, type MainThreadShares } from './profile';

export type ServiceMode = 'inline' | 'piscina';

export interface ServiceArgs {
  address: DbAddress;
  shape: RequestShape;
  mode: ServiceMode;
  /** piscina threads. */
  threads: number;
  /** piscina's atomics option. */
  atomics: 'sync' | 'async' | 'disabled';
  /** Profile the main thread during the window (driver share). */
  profile: boolean;
}

/** What the service measured between /_bench/start and /_bench/stop. */
export interface WindowStats {
  seconds: number;
  requests: number;
  errors: number;
  mainThreadCpuUsPerRequest: number;
  processCpuUsPerRequest: number;
  /** monitorEventLoopDelay, 1 ms resolution: how late a 1 ms timer fired (ms). */
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  shares: MainThreadShares | null;
  firstError: string | null;
}

const KEYS = 100_000;

async function main(a: ServiceArgs): Promise<void> {
  const db = await ServiceDb.open(a.address);
  let pool: Piscina | null = null;
  if (a.mode === 'piscina') {
    const handle =
      a.address.driver === 'shardcql'
        ? await (db.client as unknown as { createHandle(o: { threads: number }): Promise<PoolData['handle']> }).createHandle({
            threads: a.threads,
          })
        : null;
    const data: PoolData = { address: a.address, shape: a.shape, handle };
    // Tasks wait on queries, so a thread runs many at once (piscina's default is one). Atomics off: in 'sync'
    // mode a thread between tasks blocks in Atomics.wait, and its pending queries' answers with it.
    pool = new Piscina({
      filename: join(__dirname, 'pool-task.cjs'),
      minThreads: a.threads,
      maxThreads: a.threads,
      workerData: data,
      concurrentTasksPerWorker: 1024,
      atomics: a.atomics,
    });
    // Each thread opens its client (or its handle's rings) and prepares on its first task: do it before the
    // window, one task per thread at a time.
    await Promise.all(Array.from({ length: a.threads * 4 }, (_, i) => pool!.run(-2 - i)));
  }

  let next = 0;
  let requests = 0;
  let errors = 0;
  let firstError: string | null = null;
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const profiler = a.profile ? new MainThreadProfiler(a.address.driver) : null;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  let main0 = 0;

  const done = (res: ServerResponse, n: number): void => {
    requests++;
    res.end(String(n));
  };
  const failed = (res: ServerResponse, e: unknown): void => {
    errors++;
    firstError ??= e instanceof Error ? e.message : String(e);
    res.statusCode = 500;
    res.end();
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/') {
      const pk = next++ % KEYS;
      const p = pool === null ? serveRequest(db, a.shape, pk) : (pool.run(pk) as Promise<number>);
      p.then(
        (n) => done(res, n),
        (e: unknown) => failed(res, e),
      );
      return;
    }
    if (req.url === '/_bench/start') {
      requests = 0;
      errors = 0;
      firstError = null;
      eld.reset();
      eld.enable();
      const begin = (): void => {
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        main0 = mainThreadCpuUs();
        res.end('started');
      };
      if (profiler === null) begin();
      else profiler.start().then(begin, (e: unknown) => failed(res, e));
      return;
    }
    if (req.url === '/_bench/stop') {
      const seconds = (performance.now() - t0) / 1000;
      const mainUs = mainThreadCpuUs() - main0;
      const cpu = process.cpuUsage(cpu0);
      eld.disable();
      const n = Math.max(1, requests);
      const stats: WindowStats = {
        seconds,
        requests,
        errors,
        mainThreadCpuUsPerRequest: mainUs / n,
        processCpuUsPerRequest: (cpu.user + cpu.system) / n,
        eventLoopDelayP50Ms: eld.percentile(50) / 1e6,
        eventLoopDelayP99Ms: eld.percentile(99) / 1e6,
        eventLoopDelayMaxMs: eld.max / 1e6,
        shares: null,
        firstError,
      };
      const answer = (): void => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(stats));
      };
      if (profiler === null) answer();
      else
        profiler.stop().then(
          (s) => {
            stats.shares = s;
            answer();
          },
          (e: unknown) => failed(res, e),
        );
      return;
    }
    res.statusCode = 404;
    res.end();
  };

  const server = createServer({ keepAliveTimeout: 60_000 }, onRequest);
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  // The CLI ends the run with SIGTERM: the figures are out, leave at once (drivers keep timers and workers).
  process.once('SIGTERM', () => process.exit(0));
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? '{}') as ServiceArgs).catch((e: unknown) => {
    process.stderr.write(`service failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
