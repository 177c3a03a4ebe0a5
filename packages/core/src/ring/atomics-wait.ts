/**
 * `Atomics.waitAsync` (ES2024; in Node since 16) typed for the ES2022 lib the project compiles against.
 * Note: a pending waitAsync does not keep Node's event loop alive; the thread must hold some other handle
 * (a socket, a port, a worker) while it waits, or it may exit.
 */
export type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

interface AtomicsWithWaitAsync {
  waitAsync(typedArray: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}

const atomics = Atomics as unknown as AtomicsWithWaitAsync;

export function waitAsync(i32: Int32Array, index: number, value: number, timeoutMs: number): WaitAsyncResult {
  return atomics.waitAsync(i32, index, value, timeoutMs);
}
