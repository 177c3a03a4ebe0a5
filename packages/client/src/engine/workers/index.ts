// The shard worker threads as the engine sees them: the set (start, restart, stop, messages), one thread's
// handle, the options their connections open with, and the auth relay for their handshakes.
export { WorkerSet, type RequestAllAnswer } from './worker-set';
export { WorkerHandle, type WorkerHandleEvents } from './worker-handle';
export { ConnectionOptions } from './connection-options';
export { AuthRelay } from './auth-relay';
