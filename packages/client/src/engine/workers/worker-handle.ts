/**
 * The engine's side of one shard worker thread: start, control messages (request/answer by id), and
 * crash detection. The request path does not go through here: it uses the rings (ring-requester.ts).
 */
import type { Worker } from 'node:worker_threads';
import { startShardWorker, type FromWorker, type ToWorker, type WorkerInit, type RequesterRings } from '@shardcql/shard-worker';

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void };

export interface WorkerHandleEvents {
  onMessage(worker: WorkerHandle, m: FromWorker): void;
  onExit(worker: WorkerHandle, error: Error): void;
}

export class WorkerHandle {
  readonly thread: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;
  private expectExit = false;
  readonly started: Promise<void>;

  constructor(
    readonly index: number,
    readonly requestBell: SharedArrayBuffer,
    requesters: RequesterRings[],
    private readonly events: WorkerHandleEvents,
  ) {
    const init: WorkerInit = { workerIndex: index, requestBell, requesters };
    this.thread = startShardWorker(init);
    let started!: () => void;
    let failed!: (e: Error) => void;
    this.started = new Promise<void>((res, rej) => {
      started = res;
      failed = rej;
    });
    this.thread.on('message', (m: FromWorker) => {
      if (m.type === 'started') {
        started();
        return;
      }
      if ('id' in m && typeof m.id === 'number') {
        const p = this.pending.get(m.id);
        if (p !== undefined) {
          this.pending.delete(m.id);
          p.resolve(m);
          return;
        }
      }
      this.events.onMessage(this, m);
    });
    const onGone = (error: Error): void => {
      if (this.exited) return;
      this.exited = true;
      failed(error);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      if (!this.expectExit) this.events.onExit(this, error);
    };
    this.thread.on('error', (e) => onGone(e instanceof Error ? e : new Error(String(e))));
    this.thread.on('exit', (code) => onGone(new Error(`shard worker ${index} exited with code ${code}`)));
    // Worker threads must not keep the process alive once the client is idle and unreferenced... but
    // they must while requests are in flight; the engine refs/unrefs them as it connects and shuts down.
  }

  get alive(): boolean {
    return !this.exited;
  }

  post(m: ToWorker): void {
    if (!this.exited) this.thread.postMessage(m);
  }

  /** Sends a control message carrying `id` and resolves with the worker's answer of the same id. */
  call<T extends FromWorker>(make: (id: number) => ToWorker): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`shard worker ${this.index} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (m: FromWorker) => void, reject });
      this.thread.postMessage(make(id));
    });
  }

  async terminate(): Promise<void> {
    this.expectExit = true;
    if (!this.exited) await this.thread.terminate();
  }
}
