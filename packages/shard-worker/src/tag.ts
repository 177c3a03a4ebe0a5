/**
 * A request's tag inside a worker: requester * TAG_SPLIT + requestId. Request ids stay below 2^22 and
 * requesters below 2^10, so a tag fits a u32 (the connection keeps tags in a Uint32Array).
 */
export const TAG_SPLIT = 4194304;
export const MAX_REQUESTERS = 1024;
