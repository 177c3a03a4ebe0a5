/** Promise/callback duality of every async method (cassandra-driver `lib/promise-utils.js`). */
export type Callback<T> = (err: Error | null, result?: T) => void;

/** With a callback: settle it, return undefined. Without: return the promise. */
export function optionalCallback<T>(promise: Promise<T>, callback: Callback<T> | undefined | null): Promise<T> | undefined {
  if (!callback) return promise;
  toCallback(promise, callback);
  return undefined;
}

export function toCallback<T>(promise: Promise<T>, callback: Callback<T>): void {
  promise.then(
    (result) => process.nextTick(callback, null, result),
    (err: Error) => process.nextTick(callback, err),
  );
}

export function fromCallback(fn: (cb: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
