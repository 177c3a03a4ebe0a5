/**
 * The ring side of a shard worker: the requesters' rings (one SPSC request ring and one answer ring per
 * requesting thread), the drain loop on the worker's doorbell, the dispatch of each request to its connection,
 * and the answers. The records are core's ring protocol (core ring/records.ts); the connections and their
 * slots are worker-main.ts's (DispatchTargets).
 *
 * The worker drains every ring, hands each request to its target connection (which copies the frame into its
 * write buffer), then flushes each touched connection once: everything that piled up while the worker was busy
 * leaves in one `write`, and nothing waits when only one request is in flight. Answers go back into the asking
 * thread's answer ring; the rings are published and the requesters' doorbells rung once per burst of socket
 * reads (a microtask after the reads of one I/O turn).
 */
import { Doorbell, RingConsumer, RingWriter, type RecordSink } from '@shardcql/core';
// The protocol's and the metrics layout's defining modules, not the package index: their exports are plain
// properties, where the index's would be a getter call on every read (core ring/records.ts).
import {
  ANSWER_HEADER_SIZE,
  FailureKind,
  RECORD_ID_SIZE,
  REQUEST_HEADER_SIZE,
  RING_KIND_FAILURE,
  RING_KIND_REQUEST,
  RING_KIND_RESPONSE,
  TARGET_ANY,
  recordRequestId,
  requestFlags,
  requestOpcode,
  requestTarget,
  requestTimeoutMs,
  writeFailureHeader,
  writeResponseHeader,
} from '@shardcql/core/ring/records';
import { C_BUSY, W_DRAINS, W_MAX_BATCH, W_NO_CONNECTION, W_RECORDS } from '@shardcql/core/ring/metrics-layout';
import { OutgoingRequest, type Connection, type IncomingAnswer } from './connection';
import type { WorkerMetrics } from './metrics/connection-metrics';
import type { RequesterRings } from './protocol';
import { DROPPED_REQUESTER, TAG_SPLIT } from './tag';

const textEncoder = new TextEncoder();

/** What the dispatcher needs of the worker's connections (worker-main.ts owns them). */
export interface DispatchTargets {
  /** The ready connection for a request's target (TARGET_ANY: any, round robin), or null. */
  pick(target: number): Connection | null;
  /** Counts a NO_CONNECTION on the target's slot; false when no slot takes it (the worker's count does). */
  countNoConnection(target: number): boolean;
  /** Flushes every connection once (after a drain handed them requests). */
  flushAll(): void;
  /** The requests in flight with a tag in [lo, hi) now carry tags from `to` on (Connection.retagRequests). */
  retagRequests(lo: number, hi: number, to: number): void;
  /** An error the engine should log. */
  logError(message: string): void;
}

/** One requesting thread: its request ring (drained here) and its answer ring. */
class Requester {
  readonly requests: RingConsumer;
  /**
   * Answers go into the ring when it has room; the others (ring full, or larger than a record) wait in the
   * writer, in order, and go as the requester frees space, a large one in parts. Never dropped.
   */
  readonly answers: RingWriter;
  readonly bell: Doorbell;
  dirty = false;
  removed = false;

  constructor(
    readonly index: number,
    rings: RequesterRings,
    onError: (r: Requester, e: Error) => void,
  ) {
    this.requests = new RingConsumer(rings.requests);
    this.bell = new Doorbell(rings.responseBell);
    this.answers = new RingWriter(rings.responses, this.bell, (e) => onError(this, e));
  }
}

export class RingDispatcher implements RecordSink<Requester> {
  private readonly bell: Doorbell;
  private readonly requesters: Array<Requester | null> = [];
  /** The descriptor each request is handed to its connection in (Connection.send), refilled per request. */
  private readonly out = new OutgoingRequest();
  private publishScheduled = false;
  private loopScheduled = false;
  private sleeping = false;
  private stopping = false;
  /** The worker's metrics section (drains, records, NO_CONNECTION without a slot); null: not counted. */
  metrics: WorkerMetrics | null = null;

  constructor(
    requestBell: SharedArrayBuffer,
    private readonly targets: DispatchTargets,
  ) {
    this.bell = new Doorbell(requestBell);
    this.runLoop = this.runLoop.bind(this);
    this.publishAnswers = this.publishAnswers.bind(this);
    this.onWake = this.onWake.bind(this);
  }

  addRequester(r: RequesterRings): void {
    this.requesters[r.requester] = new Requester(r.requester, r, this.onAnswerRingError);
  }

  /**
   * A requesting thread is gone (released its handle, ended, or was found dead): its rings are dropped and
   * its requests in flight are moved to DROPPED_REQUESTER, whose answers go nowhere, so the engine may give
   * the index to another thread at once (this message reaches the worker before that thread's
   * 'add-requester'). Answers waiting for room in a ring nobody reads any more are discarded too: the wait
   * would otherwise pin the ring's memory for the worker's lifetime.
   */
  removeRequester(index: number): void {
    const r = this.requesters[index];
    this.requesters[index] = null;
    const lo = index * TAG_SPLIT;
    this.targets.retagRequests(lo, lo + TAG_SPLIT, DROPPED_REQUESTER * TAG_SPLIT);
    if (r === undefined || r === null) return;
    r.removed = true;
    // Drops the answers waiting for room in a ring nobody reads any more, and ends the wait (RingWriter.close).
    r.answers.close();
  }

  /** Answers to a requester cannot be written (only a broken ring does that): it stops getting any. */
  private readonly onAnswerRingError = (r: Requester, e: Error): void => {
    r.removed = true;
    r.answers.close();
    this.targets.logError(`answers to requester ${r.index} cannot be written: ${e.message}`);
  };

  // ---- the drain loop ---------------------------------------------------------------------------

  scheduleLoop(): void {
    if (this.loopScheduled) return;
    this.loopScheduled = true;
    // setImmediate, not a microtask: socket reads must get their turn between drains.
    setImmediate(this.runLoop);
  }

  private runLoop(): void {
    this.loopScheduled = false;
    if (this.drain() > 0) {
      this.scheduleLoop();
      return;
    }
    if (this.stopping) return;
    // Nothing queued: announce sleep, look once more (a producer may have published just before it
    // saw the flag), then wait on the doorbell without blocking the thread's event loop.
    this.bell.prepareToSleep();
    if (this.drain() > 0) {
      this.bell.cancelSleep();
      this.scheduleLoop();
      return;
    }
    this.sleeping = true;
    this.bell.wait().then(this.onWake, this.onWake);
  }

  private onWake(): void {
    this.sleeping = false;
    // Woken by a doorbell: this is its own task already, so drain now rather than after another
    // event-loop turn (that turn is a full extra hop of latency at low concurrency).
    if (this.loopScheduled || this.stopping) return;
    this.runLoop();
  }

  /**
   * From now on requests fail SHUTTING_DOWN; the ones already in the rings still go out (this drains them
   * first). The loop stops; finish() after the connections closed.
   */
  stop(): void {
    this.stopping = true;
    this.drain();
  }

  /** After stop(): publishes the last answers and leaves the doorbell awake. */
  finish(): void {
    this.publishAnswers();
    if (this.sleeping) this.bell.cancelSleep();
  }

  /** Moves every queued request to its connection; flushes the connections once. Returns the records read. */
  drain(): number {
    let n = 0;
    const requesters = this.requesters;
    for (let i = 0; i < requesters.length; i++) {
      const r = requesters[i];
      if (r !== undefined && r !== null) n += r.requests.drainTo(this, r);
    }
    if (n === 0) return 0;
    const wm = this.metrics;
    if (wm !== null) {
      // Ring occupancy, sampled once per drain: how many records waited (mean and high-water mark).
      const w = wm.w;
      w[W_DRAINS]!++;
      w[W_RECORDS]! += n;
      if (n > w[W_MAX_BATCH]!) w[W_MAX_BATCH] = n;
    }
    // flush() is a no-op on a connection with nothing queued; a worker owns a handful of connections.
    this.targets.flushAll();
    return n;
  }

  /** A record from `r`'s request ring (RingConsumer.drainTo). */
  onRecord(r: Requester, u8: Uint8Array, kind: number, off: number, len: number): void {
    if (kind === RING_KIND_REQUEST) this.dispatch(r, u8, off, len);
  }

  /** One REQUEST record, `u8[off, off + len)`, to its connection (or failed back to its requester). */
  private dispatch(r: Requester, u8: Uint8Array, off: number, len: number): void {
    if (len < RECORD_ID_SIZE) return; // not even a request id: no one to answer
    const tag = r.index * TAG_SPLIT + recordRequestId(u8, off);
    if (len < REQUEST_HEADER_SIZE) {
      this.fail(tag, FailureKind.BAD_REQUEST, TARGET_ANY, 'malformed request record');
      return;
    }
    const target = requestTarget(u8, off);
    if (this.stopping) {
      this.fail(tag, FailureKind.SHUTTING_DOWN, target, 'the shard worker is shutting down');
      return;
    }
    const conn = this.targets.pick(target);
    if (conn === null) {
      if (this.metrics !== null && !this.targets.countNoConnection(target)) this.metrics.w[W_NO_CONNECTION]!++;
      this.fail(tag, FailureKind.NO_CONNECTION, target, `no open connection for target ${target}`);
      return;
    }
    const out = this.out;
    out.tag = tag;
    out.opcode = requestOpcode(u8, off);
    out.flags = requestFlags(u8, off);
    out.body = u8;
    out.start = off + REQUEST_HEADER_SIZE;
    out.end = off + len;
    out.timeoutMs = requestTimeoutMs(u8, off);
    if (!conn.send(out)) {
      if (conn.metrics !== null) conn.metrics.c[C_BUSY]!++;
      this.fail(tag, FailureKind.BUSY, target, 'all stream ids of the connection are in use');
    }
  }

  // ---- answers ----------------------------------------------------------------------------------

  /** A RESPONSE record for `tag`: the answer's body is copied before this returns (it is the reader's buffer). */
  answer(tag: number, a: IncomingAnswer): void {
    const r = this.requesters[Math.floor(tag / TAG_SPLIT)];
    if (r === undefined || r === null || r.removed) return;
    const w = r.answers;
    const len = a.end - a.start;
    const off = w.claim(RING_KIND_RESPONSE, ANSWER_HEADER_SIZE + len);
    const u8 = w.out;
    writeResponseHeader(u8, off, tag % TAG_SPLIT, a.opcode, a.flags);
    u8.set(a.body.subarray(a.start, a.end), off + ANSWER_HEADER_SIZE);
    w.commit();
    this.markDirty(r);
  }

  /** A FAILURE record for `tag` (`kind`: a FailureKind). */
  fail(tag: number, kind: number, target: number, message: string): void {
    const r = this.requesters[Math.floor(tag / TAG_SPLIT)];
    if (r === undefined || r === null || r.removed) return;
    const msg = textEncoder.encode(message);
    const w = r.answers;
    const off = w.claim(RING_KIND_FAILURE, ANSWER_HEADER_SIZE + msg.length);
    const u8 = w.out;
    writeFailureHeader(u8, off, tag % TAG_SPLIT, kind, target);
    u8.set(msg, off + ANSWER_HEADER_SIZE);
    w.commit();
    this.markDirty(r);
  }

  private markDirty(r: Requester): void {
    r.dirty = true;
    if (!this.publishScheduled) {
      this.publishScheduled = true;
      queueMicrotask(this.publishAnswers);
    }
  }

  /** Publishes every answer ring written since the last publish and rings its requester once. */
  private publishAnswers(): void {
    this.publishScheduled = false;
    for (let i = 0; i < this.requesters.length; i++) {
      const r = this.requesters[i];
      if (r === undefined || r === null || !r.dirty) continue;
      r.dirty = false;
      r.answers.publish();
      r.bell.ring();
    }
  }
}
