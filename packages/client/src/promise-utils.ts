/** Promise/callback duality of every async method (cassandra-driver `lib/promise-utils.js`). */
export type Callback<T> = (err: Error | null, result?: T) => void;

/*
 * The callbacks of the public overloads, as cassandra-driver's index.d.ts declares them: code written against
 * it passes `(err: Error, rs: ResultSet) => ...` and reads `rs.rows` unchecked. They are called as Callback
 * (null error on success, no value on error); `strict.Client` gives the exact types.
 */
export type ValueCallback<T> = (err: Error, val: T) => void;
export type EmptyCallback = (err: Error) => void;
/** What an implementation receives: either form (they differ in types only). */
export type SomeCallback<T> = Callback<T> | ValueCallback<T> | ValueCallback<NonNullable<T>> | (T extends void ? EmptyCallback : never);

/** With a callback: settle it, return undefined. Without: return the promise. */
export function optionalCallback<T>(promise: Promise<T>, callback: SomeCallback<T> | undefined | null): Promise<T> | undefined {
  if (!callback) return promise;
  toCallback(promise, callback as Callback<T>);
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
