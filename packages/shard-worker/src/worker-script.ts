import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './protocol';

/**
 * Starts a shard worker thread. From a build (dist/*.js) it runs dist/worker-main.js. From sources
 * (tests under vitest, `--conditions=source`) it runs worker-main.ts through tsx with the same
 * condition, so workspace packages resolve to their sources in the thread too.
 */
export function startShardWorker(init: WorkerInit): Worker {
  const js = join(__dirname, 'worker-main.js');
  if (!__filename.endsWith('.ts') && existsSync(js)) {
    return new Worker(js, { workerData: init, name: `shardcql-shard-${init.workerIndex}` });
  }
  const ts = join(__dirname, 'worker-main.ts');
  const boot = `require('tsx/cjs/api').register(); require(${JSON.stringify(ts)});`;
  return new Worker(boot, { eval: true, workerData: init, execArgv: [...process.execArgv.filter((a) => a !== '--conditions=source'), '--conditions=source'], name: `shardcql-shard-${init.workerIndex}` });
}
