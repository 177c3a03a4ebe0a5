/**
 * A request's tag inside a worker: requester * TAG_SPLIT + requestId. Request ids stay below 2^22 and
 * requesters below 2^10, so a tag fits a u32 (the connection keeps tags in a Uint32Array).
 */
export const TAG_SPLIT = 4194304;
export const MAX_REQUESTERS = 1024;
/**
 * Never given to a thread: the in-flight requests of a removed requester are moved to this index
 * (Connection.retagRequests), so their late answers are dropped and the removed index can be reused at once.
 */
export const DROPPED_REQUESTER = MAX_REQUESTERS - 1;
