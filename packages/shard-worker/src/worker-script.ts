import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './protocol';

/**
 * Starts a shard worker thread. From a build (dist/*.js) it runs dist/worker-main.js. From sources
 * (tests under vitest, `--conditions=source`) it runs worker-main.ts through tsx with the same
 * condition, so workspace packages resolve to their sources in the thread too.
 */
/** Process-wide flags Node refuses in a Worker's execArgv (ERR_WORKER_INVALID_EXEC_ARGV). */
const NOT_FOR_WORKERS = new Set(['--expose-gc', '--expose_gc']);

export function startShardWorker(init: WorkerInit): Worker {
  const js = join(__dirname, 'worker-main.js');
  if (!__filename.endsWith('.ts') && existsSync(js)) {
    return new Worker(js, {
      workerData: init,
      execArgv: process.execArgv.filter((a) => !NOT_FOR_WORKERS.has(a)),
      name: `shardcql-shard-${init.workerIndex}`,
    });
  }
  const ts = join(__dirname, 'worker-main.ts');
  const boot = `require('tsx/cjs/api').register(); require(${JSON.stringify(ts)});`;
  return new Worker(boot, {
    eval: true,
    workerData: init,
    execArgv: [...process.execArgv.filter((a) => a !== '--conditions=source' && !NOT_FOR_WORKERS.has(a)), '--conditions=source'],
    name: `shardcql-shard-${init.workerIndex}`,
  });
}
