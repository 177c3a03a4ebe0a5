// SharedArrayBuffer ring queues (single producer, single consumer) and the doorbell that wakes a consumer.
// Layout and every offset: layout.ts. Typical use:
//
//   producer thread                                   consumer thread (one Doorbell for all its rings)
//   let off;                                          for (;;) {
//   while ((off = p.reserve(kind, n)) < 0)              for (const c of rings) { while (c.next()) handle(c); c.release(); }
//     await p.waitForSpace();   // publishes first      bell.prepareToSleep();
//   write n bytes at p.u8[off...]                       if (rings.some((c) => c.hasRecords())) { bell.cancelSleep(); continue; }
//   ... more records ...                                await bell.wait();
//   p.publish();                // + doorbell.ring()  }
//
// A pending Atomics.waitAsync does not keep a Node thread alive: the thread must hold another handle
// (socket, MessagePort, timer) while it waits.
export * from './layout';
// The records that travel on the rings (requests, answers) and the per-shard metrics buffer beside them.
export * from './records';
export * from './metrics-layout';
export { createRingBuffer, RingProducer, RingConsumer, type RecordSink } from './ring-queue';
export { RingWriter } from './ring-writer';
export { Doorbell } from './doorbell';
export type { WaitAsyncResult } from './atomics-wait';
