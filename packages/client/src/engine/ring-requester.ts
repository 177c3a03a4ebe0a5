/**
 * The requesting side of the rings, usable from any thread: one request ring and one response ring per
 * shard worker, one doorbell this thread sleeps on, and the table of requests in flight.
 *
 * send(): the body is copied straight into the worker's request ring; the records are published and the
 * worker's doorbell rung once per synchronous burst of sends (a microtask), so a loop of 1000 executes costs
 * one Atomics.store and one wake-up. Answers are drained in batches when this thread's doorbell rings
 * (Atomics.waitAsync: the thread's event loop never blocks).
 */
import {
  Doorbell,
  DriverError,
  DriverInternalError,
  NoHostAvailableError,
  OperationTimedOutError,
  BusyConnectionError,
  RingConsumer,
  RingWriter,
  createRingBuffer,
  type RecordSink,
} from '@shardcql/core';
// The ring protocol's defining module (and the frame header's), not the package index: their exports are plain
// properties, where the index's would be a getter call on every read (core ring/records.ts).
import {
  ANSWER_HEADER_SIZE,
  FailureKind,
  RECORD_ID_SIZE,
  REQUEST_HEADER_SIZE,
  RING_KIND_FAILURE,
  RING_KIND_REQUEST,
  RING_KIND_RESPONSE,
  failureKind,
  failureWasNotSent,
  recordRequestId,
  responseFlags,
  responseOpcode,
  writeRequestHeader,
  writeRequestOp,
} from '@shardcql/core/ring/records';
/** The protocol's body limit (256 MiB): a larger request is refused before it is sent. */
import { MAX_BODY_LENGTH } from '@shardcql/core/frame/header';

const OPCODE_RESULT = 0x08;
/** RESULT kind VOID ([int] 1): shared by every void answer; never written to. */
const VOID_BODY = Buffer.from([0, 0, 0, 1]);
import { RequestSlots, type Settle } from './request-slots';
import { EngineAnswer } from './engine';
import type { EngineRequest } from './request';

/** Ring sizes: big enough for thousands of small requests in flight, small enough to stay in cache. */
export const DEFAULT_RING_BYTES = 1 << 20;

/** What a requester needs to reach one worker: SABs only, so the whole thing can be posted to a thread. */
export interface WorkerRings {
  requests: SharedArrayBuffer;
  responses: SharedArrayBuffer;
  /** The worker's doorbell (rung after publishing requests). */
  workerBell: SharedArrayBuffer;
}

/** Everything a thread needs to become a requester; structured-clonable. */
export interface RequesterDescriptor {
  requester: number;
  responseBell: SharedArrayBuffer;
  workers: WorkerRings[];
}

export function createWorkerRings(workerBell: SharedArrayBuffer, ringBytes = DEFAULT_RING_BYTES): WorkerRings {
  return { requests: createRingBuffer(ringBytes), responses: createRingBuffer(ringBytes), workerBell };
}

class WorkerLink {
  /**
   * Requests go through reserve() when the ring has room; the others (ring full, or larger than a record)
   * wait in the writer, in order, and go as the worker frees space, a large one in parts. Never dropped.
   */
  writer: RingWriter;
  consumer: RingConsumer;
  consumerBuf: Buffer;
  bell: Doorbell;
  needsRing = false;
  down: Error | null = null;
  constructor(rings: WorkerRings, onError: (e: Error) => void) {
    this.bell = new Doorbell(rings.workerBell);
    this.writer = new RingWriter(rings.requests, this.bell, onError);
    this.consumer = new RingConsumer(rings.responses);
    this.consumerBuf = Buffer.from(this.consumer.u8.buffer, this.consumer.u8.byteOffset, this.consumer.u8.byteLength);
  }
}

/** The requester's own clock for its safety-net deadlines: one tick per this many ms (see onTick). */
const TICK_MS = 250;
/**
 * How long after its own timeout a request waits for its worker's answer before the requester fails it by
 * itself. The worker's connection times requests out at timeoutMs; this only catches an answer that a broken
 * ring, worker or bug lost, so that no promise stays pending.
 */
const DEADLINE_GRACE_MS = 1000;

const textDecoder = new TextDecoder();

export class RingRequester implements RecordSink<WorkerLink> {
  readonly slots: RequestSlots;
  private readonly links: WorkerLink[] = [];
  private readonly bell: Doorbell;
  private ringScheduled = false;
  private waiting = false;
  private closed = false;
  /** Address to name in errors, by target connection index (filled by the owner). */
  targetAddress: (target: number) => string = () => 'unknown host';
  /** Host index by target connection index, for EngineAnswer.hostIndex. */
  targetHost: Int32Array = new Int32Array(0);
  private targets: Int32Array;
  private timeouts: Float64Array;
  /** Per request: the tick after which the requester fails it by itself (0: no deadline). See onTick. */
  private deadlines: Float64Array;
  private tick = 1;
  /**
   * Advances `tick` and fails requests past their deadline. A pending Atomics.waitAsync does not keep a
   * thread alive: while requests are in flight this timer (ref'd only then) does, or a thread whose only
   * work is awaiting an answer would exit under it.
   */
  private readonly keepAlive: NodeJS.Timeout;
  /** Shared VOID answers by host index + 1 (see settle). */
  private readonly voidFrames: EngineAnswer[] = [];
  private captured: Settle | null = null;
  private capturedReject: Settle | null = null;
  /** The body copySmallBody saw last, and its DataView. */
  private srcBody: Uint8Array | null = null;
  private srcView: DataView = new DataView(new ArrayBuffer(0));
  /**
   * Answers found by the last non-empty drain: more than one means several requests were in flight at once,
   * so the rings being empty right now is a pause between batches, not concurrency 1 (see direct-lane.ts).
   */
  lastBatch = 0;
  /** For BusyConnectionError's message (the owner sets pooling.maxRequestsPerConnection). */
  maxRequestsPerConnection = 32768;

  constructor(
    readonly descriptor: RequesterDescriptor,
    capacity = 1 << 17,
  ) {
    this.slots = new RequestSlots(capacity);
    this.targets = new Int32Array(capacity);
    this.timeouts = new Float64Array(capacity);
    this.deadlines = new Float64Array(capacity);
    this.bell = new Doorbell(descriptor.responseBell);
    for (let w = 0; w < descriptor.workers.length; w++) this.links.push(this.newLink(w, descriptor.workers[w]!));
    this.capture = this.capture.bind(this);
    this.ringWorkers = this.ringWorkers.bind(this);
    this.onWake = this.onWake.bind(this);
    this.onTick = this.onTick.bind(this);
    this.keepAlive = setInterval(this.onTick, TICK_MS);
    this.keepAlive.unref();
    this.sleep();
  }

  get inFlight(): number {
    return this.slots.inFlight;
  }

  private capture(resolve: Settle, reject: Settle): void {
    this.captured = resolve;
    this.capturedReject = reject;
  }

  /**
   * Sends `req.body[0, req.bodyLength)` (opcode, flags, timeout: request.ts) to connection `target` on `worker`.
   * The body is copied, and every field read, before this returns.
   */
  send(worker: number, target: number, req: EngineRequest): Promise<EngineAnswer> {
    const opcode = req.opcode;
    const flags = req.flags;
    const body = req.body;
    const bodyLength = req.bodyLength;
    const timeoutMs = req.timeoutMs;
    const promise = new Promise<EngineAnswer>(this.capture as (res: (v: EngineAnswer) => void, rej: (e: unknown) => void) => void);
    const resolve = this.captured!;
    const reject = this.capturedReject!;
    if (this.closed) {
      reject(new DriverError('The client is shut down'));
      return promise;
    }
    const link = this.links[worker];
    if (link === undefined) {
      reject(new DriverError(`no shard worker ${worker}`));
      return promise;
    }
    if (link.down !== null) {
      reject(link.down);
      return promise;
    }
    if (!(bodyLength >= 0 && bodyLength <= body.length) || (bodyLength | 0) !== bodyLength) {
      reject(new DriverError(`bad request body length ${bodyLength} (body of ${body.length} bytes)`));
      return promise;
    }
    if (bodyLength > MAX_BODY_LENGTH) {
      reject(
        new DriverError(`request body of ${bodyLength} bytes exceeds the protocol's limit of ${MAX_BODY_LENGTH} bytes; it was not sent`),
      );
      return promise;
    }
    if (!(timeoutMs >= 0 && timeoutMs <= 0xffffffff)) {
      reject(new DriverInternalError(`bad request timeout ${timeoutMs} ms`));
      return promise;
    }
    const id = this.slots.acquire(resolve, reject, worker);
    if (id < 0) {
      reject(new BusyConnectionError(this.targetAddress(target), this.slots.size, 1));
      return promise;
    }
    this.targets[id] = target;
    this.timeouts[id] = timeoutMs;
    this.deadlines[id] = timeoutMs === 0 ? 0 : this.tick + Math.ceil((timeoutMs + DEADLINE_GRACE_MS) / TICK_MS) + 1;
    if (this.slots.inFlight === 1) this.keepAlive.ref();
    const w = link.writer;
    // In the ring when it has room, else a copy that waits in the writer, in order (RingWriter.claim). Published
    // with the burst's doorbell ring (ringWorkers): one Atomics.store per burst, not per request.
    const off = w.claim(RING_KIND_REQUEST, REQUEST_HEADER_SIZE + bodyLength);
    const u8 = w.out;
    writeRequestHeader(u8, off, id, target);
    writeRequestOp(u8, off, opcode, flags, timeoutMs);
    if (bodyLength <= SMALL_BODY && u8 === w.producer.u8) this.copySmallBody(w.producer.view, off + REQUEST_HEADER_SIZE, body, bodyLength);
    else copyBody(u8, off + REQUEST_HEADER_SIZE, body, bodyLength);
    w.commit();
    if (!link.needsRing) {
      link.needsRing = true;
      if (!this.ringScheduled) {
        this.ringScheduled = true;
        queueMicrotask(this.ringWorkers);
      }
    }
    return promise;
  }

  /**
   * Copies a small body 4 bytes at a time through DataViews: about 3x faster than a byte loop or set(), which
   * makes a view per call. The source's DataView is cached: callers pass the same encoding buffer each time.
   */
  private copySmallBody(dst: DataView, at: number, body: Uint8Array, n: number): void {
    let src = this.srcView;
    if (body !== this.srcBody) {
      src = new DataView(body.buffer, body.byteOffset, body.byteLength);
      this.srcBody = body;
      this.srcView = src;
    }
    let i = 0;
    for (; i + 4 <= n; i += 4) dst.setInt32(at + i, src.getInt32(i, true), true);
    for (; i < n; i++) dst.setUint8(at + i, src.getUint8(i));
  }

  private ringWorkers(): void {
    this.ringScheduled = false;
    const links = this.links;
    for (let i = 0; i < links.length; i++) {
      const l = links[i]!;
      if (l.needsRing) {
        l.needsRing = false;
        l.writer.publish();
        l.bell.ring();
      }
    }
  }

  private newLink(worker: number, rings: WorkerRings): WorkerLink {
    return new WorkerLink(rings, (e) =>
      this.failWorker(worker, new DriverInternalError(`requests to shard worker ${worker} cannot be written: ${e.message}`)),
    );
  }

  /**
   * The safety net under every request with a timeout: one that its worker has not answered DEADLINE_GRACE_MS
   * after its own timeout fails here with OperationTimedOutError. Its slot stays taken (orphaned) until the
   * worker's answer comes, so a late answer can never settle a newer request.
   */
  private onTick(): void {
    const tick = ++this.tick;
    const slots = this.slots;
    if (slots.inFlight === 0) return;
    const deadlines = this.deadlines;
    const end = slots.highWater;
    for (let id = 0; id < end; id++) {
      const d = deadlines[id]!;
      if (d !== 0 && d <= tick && slots.has(id)) {
        deadlines[id] = 0;
        const t = this.targets[id]!;
        const address = this.targetAddress(t);
        slots.orphan(id, new OperationTimedOutError(`The host ${address} did not reply before timeout ${this.timeouts[id]} ms`, address));
      }
    }
    if (slots.inFlight === 0) this.keepAlive.unref();
  }

  // ---- answers ----------------------------------------------------------------------------------

  private sleep(): void {
    if (this.closed || this.waiting) return;
    this.bell.prepareToSleep();
    if (this.drain() > 0) {
      this.bell.cancelSleep();
      // More may be coming right behind; look again on the next turn rather than spin here.
      setImmediate(this.onWake);
      return;
    }
    this.waiting = true;
    this.bell.wait().then(this.onWake, this.onWake);
  }

  private onWake(): void {
    this.waiting = false;
    this.drain();
    this.sleep();
  }

  /** Settles every answered request. Returns how many records were read. */
  drain(): number {
    let n = 0;
    const links = this.links;
    for (let w = 0; w < links.length; w++) {
      const link = links[w]!;
      // A corrupt ring (only a bug or a dying worker can make one) fails that worker's requests, typed,
      // and never stops the other workers' answers from being settled.
      try {
        n += link.consumer.drainTo(this, link);
      } catch (e) {
        const err = e instanceof Error ? e : new DriverInternalError(String(e));
        this.failWorker(w, new DriverInternalError(`answers from shard worker ${w} are unreadable: ${err.message}`));
      }
    }
    if (n > 0) {
      this.lastBatch = n;
      if (this.slots.inFlight === 0) this.keepAlive.unref();
    }
    return n;
  }

  /**
   * Settles the request a record answers (RingConsumer.drainTo); `u8` is the ring's data area, or a message
   * gathered from parts.
   */
  onRecord(link: WorkerLink, u8: Uint8Array, kind: number, off: number, len: number): void {
    if (len < RECORD_ID_SIZE) return; // not even a request id: nothing to settle
    const id = recordRequestId(u8, off);
    if (!this.slots.has(id)) {
      // Failed here already (its deadline passed, or its worker crashed): the late answer frees its slot.
      this.slots.reclaim(id);
      return;
    }
    if ((kind === RING_KIND_RESPONSE || kind === RING_KIND_FAILURE) && len < ANSWER_HEADER_SIZE) {
      this.slots.reject(id, new DriverInternalError(`malformed ring record (kind ${kind}, ${len} bytes)`));
      return;
    }
    if (kind === RING_KIND_RESPONSE) this.settleResponse(link, u8, id, off, len);
    else if (kind === RING_KIND_FAILURE) {
      const message = textDecoder.decode(u8.subarray(off + ANSWER_HEADER_SIZE, off + len));
      this.slots.reject(
        id,
        failureError(
          failureKind(u8, off),
          message,
          this.targetAddress(this.targets[id]!),
          this.timeouts[id]!,
          this.maxRequestsPerConnection,
        ),
      );
    }
  }

  /** Resolves request `id` with the RESPONSE record at `u8[off, off + len)`. */
  private settleResponse(link: WorkerLink, u8: Uint8Array, id: number, off: number, len: number): void {
    const bodyLen = len - ANSWER_HEADER_SIZE;
    const opcode = responseOpcode(u8, off);
    const flags = responseFlags(u8, off);
    const at = off + ANSWER_HEADER_SIZE;
    const t = this.targets[id]!;
    const host = t < this.targetHost.length ? this.targetHost[t]! : -1;
    // A VOID result (every write) is the same 4 bytes each time: answer with a shared, read-only frame
    // per host instead of a copy, the commonest answer costs no allocation beyond the caller's promise.
    if (
      bodyLen === 4 &&
      opcode === OPCODE_RESULT &&
      flags === 0 &&
      u8[at] === 0 &&
      u8[at + 1] === 0 &&
      u8[at + 2] === 0 &&
      u8[at + 3] === 1
    ) {
      let frame = this.voidFrames[host + 1];
      if (frame === undefined) {
        frame = new EngineAnswer(OPCODE_RESULT, 0, VOID_BODY, host);
        this.voidFrames[host + 1] = frame;
      }
      this.slots.resolve(id, frame);
      return;
    }
    let body: Buffer;
    if (u8 === link.consumer.u8) {
      body = Buffer.allocUnsafe(bodyLen);
      link.consumerBuf.copy(body, 0, at, off + len);
    } else {
      // Gathered from parts into a buffer of its own: the body is a view of it, no second copy.
      body = (u8 as Buffer).subarray(at, off + len);
    }
    this.slots.resolve(id, new EngineAnswer(opcode, flags, body, host));
  }

  /** Whether a request in flight targets connection `target` (a scan: for the rare reuse of an index, conn-indexes.ts). */
  hasInFlightTo(target: number): boolean {
    const slots = this.slots;
    const targets = this.targets;
    const end = slots.highWater;
    for (let id = 0; id < end; id++) if (targets[id] === target && slots.has(id)) return true;
    return false;
  }

  /** A worker died: fail its requests now (typed), and refuse new ones until `replaceWorker`. */
  failWorker(worker: number, error: Error): number {
    const link = this.links[worker];
    if (link !== undefined) {
      link.down = error;
      link.writer.close();
    }
    const n = this.slots.rejectAll(worker, () => error);
    if (this.slots.inFlight === 0) this.keepAlive.unref();
    return n;
  }

  /** New rings for a restarted worker. */
  replaceWorker(worker: number, rings: WorkerRings): void {
    this.links[worker] = this.newLink(worker, rings);
    this.descriptor.workers[worker] = rings;
  }

  /** Fails everything still pending and stops waiting. */
  close(error: Error): void {
    this.closed = true;
    this.slots.rejectAll(-1, () => error);
    clearInterval(this.keepAlive);
    if (this.waiting) this.bell.ring();
  }
}

/**
 * The typed error of a request a connection gave up on (`kind`: a FailureKind), as cassandra-driver names it;
 * marked not sent exactly where core's failureWasNotSent says the worker never wrote it to a socket.
 */
export function failureError(kind: number, message: string, address: string, timeoutMs: number, maxRequestsPerConnection = 32768): Error {
  const e = failureErrorOf(kind, message, address, timeoutMs, maxRequestsPerConnection);
  return failureWasNotSent(kind) ? markNotSent(e) : e;
}

function failureErrorOf(kind: number, message: string, address: string, timeoutMs: number, maxRequestsPerConnection: number): Error {
  switch (kind) {
    case FailureKind.TIMEOUT:
      return new OperationTimedOutError(`The host ${address} did not reply before timeout ${timeoutMs} ms`, address);
    case FailureKind.BUSY:
      return new BusyConnectionError(address, maxRequestsPerConnection, 1);
    case FailureKind.NO_CONNECTION:
    case FailureKind.SHUTTING_DOWN: {
      const inner: Record<string, Error> = {};
      inner[address] = new DriverError(message);
      return new NoHostAvailableError(inner, `All host(s) tried for query failed. ${address}: ${message}`);
    }
    case FailureKind.CONNECTION_LOST:
      return new DriverError(`Connection to ${address} was closed with the request in flight: ${message}`);
    case FailureKind.INTERNAL:
      return new DriverInternalError(`${address}: ${message}`);
    default:
      return new DriverError(message);
  }
}

/**
 * The worker never wrote this request to a socket (its connection was gone, or had no free stream id), so
 * sending it again cannot apply it twice, idempotent or not. Non-enumerable: error shapes stay as
 * cassandra-driver's.
 */
export function markNotSent<E extends Error>(e: E): E {
  Object.defineProperty(e, 'wasNotSent', { value: true, enumerable: false });
  return e;
}

/** Bodies up to this size go into the ring through copySmallBody. */
const SMALL_BODY = 512;

function copyBody(u8: Uint8Array, at: number, body: Uint8Array, bodyLength: number): void {
  if (bodyLength === body.length) u8.set(body, at);
  else u8.set(body.subarray(0, bodyLength), at);
}
