import type { Socket } from 'node:net';
import type { ConnectionMetrics } from '../metrics/connection-metrics';
// The layout's defining module, not a package index: plain properties, no getter per read.
import { C_BYTES_SENT, C_FRAMES_WRITTEN, C_SOCKET_WRITES } from '@shardcql/core/ring/metrics-layout';
import { ByteWriter, type Compressor, type V5FrameEncoder } from '@shardcql/core';
// Per frame: from their defining modules, where the package index's re-exports would be a getter call per read.
import { HEADER_SIZE, writeHeader } from '@shardcql/core/frame/header';
import { frameFlags } from '@shardcql/core/frame/opcodes';
import type { OutgoingRequest } from './options';

/** A write buffer grown past this by a large frame is given back after its write (see flush). */
const SHRINK_ABOVE = 4 * 1024 * 1024;

/**
 * The coalescing writer of one connection (postgres.js `bytes.js`; scylla-rust-driver's connection
 * writer). Frames are encoded straight into one growable, reused buffer; `flush` hands everything that
 * waits to the socket in ONE `write`.
 *
 * When to write:
 * - the engine calls `flush()` after each drain of its request rings;
 * - a `send` outside of a drain is covered by one `queueMicrotask` flush scheduled on the first frame of a
 *   batch (a microtask runs after the current synchronous drain, so it adds no delay and no timer);
 * - when the pending bytes pass `threshold` (`coalescingThreshold`, cassandra-driver's name).
 *
 * Adaptive pile-up: at most one write is outstanding in the socket. While the kernel has not taken the
 * previous write (it went asynchronous, so the socket is congested), frames keep piling up in the other
 * buffer and are written in one go when that write completes. At low load every flush writes at once.
 *
 * A buffer handed to `socket.write` is not touched again until the socket has consumed it: either the
 * write callback ran, or `socket.writableLength` is 0 right after `write` (libuv wrote it synchronously).
 */
export class FrameWriter {
  /** Protocol version put in every envelope header. */
  version = 4;
  /** v4 only: compress every body with this (flag 0x01); v5 compresses at the framing level instead. */
  compressor: Compressor | null = null;
  /** v5 framing (after READY / AUTHENTICATE): envelopes are wrapped into frames at flush time. */
  v5: V5FrameEncoder | null = null;
  threshold: number;

  /** Socket writes done (for tests and statistics). */
  writes = 0;
  bytesWritten = 0;
  /** Envelopes handed to the socket (frames / writes = the coalescing factor). */
  frames = 0;
  /** Envelopes appended since the last socket write. */
  private framesPending = 0;
  /** The connection's metrics slot (counted per write, not per frame). */
  metrics: ConnectionMetrics | null = null;
  /** performance.now() of the last write: the heartbeat measures idleness from it. */
  lastWriteAt = 0;
  /**
   * One clock read per batch: performance.now() costs ~240 ns on this project's VMs, as much as the
   * rest of a send, so the sends of one drain share the time read by the first of them.
   */
  private batchClock = 0;
  private batchClockStale = true;

  /** Envelopes waiting to be written. */
  private pending: ByteWriter;
  /** The other buffer: the one in the socket (v4), or the v5 frames of the last write. */
  private spare: ByteWriter;
  /** Writes handed to the socket whose callback has not run yet. */
  private outstanding = 0;
  /** A flush was asked while a write was outstanding: do it when that write completes. */
  private deferred = false;
  private scheduled = false;
  private socket: Socket | null = null;
  private failed: Error | null = null;
  /** Called once if a write fails (the connection closes). */
  onError: ((err: Error) => void) | null = null;

  // Bound once: no closure per write.
  private readonly afterWrite = (err?: Error | null): void => {
    this.outstanding--;
    if (err) {
      if (this.failed === null) {
        this.failed = err;
        if (this.onError !== null) this.onError(err);
      }
      return;
    }
    if (this.deferred && this.outstanding === 0) {
      this.deferred = false;
      this.flush();
    }
  };
  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private readonly initialSize: number;

  constructor(threshold = 65536, initialSize = 64 * 1024) {
    this.threshold = threshold;
    this.initialSize = initialSize;
    this.pending = new ByteWriter(initialSize);
    this.spare = new ByteWriter(initialSize);
  }

  attach(socket: Socket): void {
    this.socket = socket;
  }

  /** The time (performance.now()) of the current batch; re-read after each flush. */
  now(): number {
    if (this.batchClockStale) {
      this.batchClock = performance.now();
      this.batchClockStale = false;
    }
    return this.batchClock;
  }

  /** Bytes waiting for the next flush. */
  get pendingBytes(): number {
    return this.pending.pos;
  }

  /**
   * Appends one envelope on `stream`: header, then the body copied from `r.body[r.start, r.end)` (a view of the
   * caller's buffer, e.g. a ring record). Compresses the body when a v4 compressor is set and `compress`.
   */
  append(stream: number, r: OutgoingRequest, compress: boolean): void {
    const w = this.pending;
    const at = w.pos;
    const body = r.body;
    const start = r.start;
    const end = r.end;
    const flags = r.flags;
    const opcode = r.opcode;
    const len = end - start;
    if (compress && this.compressor !== null && len > 0) {
      // Spec v4 section 5: the compressed body replaces the body; flag 0x01 tells the server.
      w.ensure(HEADER_SIZE);
      w.pos = at + HEADER_SIZE;
      this.compressor.compressV4Body(body, start, len, w);
      writeHeader(w.buf, at, this.version, flags | frameFlags.compression, stream, opcode, w.pos - at - HEADER_SIZE);
    } else {
      w.ensure(HEADER_SIZE + len);
      writeHeader(w.buf, at, this.version, flags, stream, opcode, len);
      // Buffer#copy takes any Uint8Array (also SharedArrayBuffer views) and allocates nothing.
      Buffer.prototype.copy.call(body, w.buf, at + HEADER_SIZE, start, end);
      w.pos = at + HEADER_SIZE + len;
    }
    this.framesPending++;
    if (w.pos >= this.threshold) this.flush();
    else if (!this.scheduled && at === 0) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Writes everything pending in one socket write, unless a write is outstanding (then it piles up). */
  flush(): void {
    const socket = this.socket;
    if (this.pending.pos === 0 || socket === null || this.failed !== null || socket.destroyed) {
      this.batchClockStale = true;
      return;
    }
    if (this.outstanding > 0 && socket.writableLength > 0) {
      // The previous buffer is still in the socket: it is congested. Pile up; afterWrite flushes.
      this.deferred = true;
      this.batchClockStale = true;
      return;
    }
    let out: ByteWriter;
    // The buffer about to be filled is not in the socket (the last write was consumed, checked above): one grown
    // past SHRINK_ABOVE by a large frame is given back (ByteWriter.shrink), so a single 10 MB request does not pin
    // 20 MB per connection for the connection's lifetime.
    if (this.v5 !== null) {
      out = this.spare;
      out.shrink(SHRINK_ABOVE, this.initialSize);
      out.reset();
      this.v5.encode(this.pending.buf, 0, this.pending.pos, out);
      this.pending.reset();
      this.pending.shrink(SHRINK_ABOVE, this.initialSize);
    } else {
      out = this.pending;
      this.pending = this.spare;
      this.spare = out;
      this.pending.reset();
      this.pending.shrink(SHRINK_ABOVE, this.initialSize);
    }
    const data = out.buf.subarray(0, out.pos);
    this.outstanding++;
    this.writes++;
    this.bytesWritten += data.length;
    const frames = this.framesPending;
    this.frames += frames;
    this.framesPending = 0;
    const m = this.metrics;
    if (m !== null) {
      const c = m.c;
      c[C_SOCKET_WRITES]!++;
      c[C_FRAMES_WRITTEN]! += frames;
      c[C_BYTES_SENT]! += data.length;
    }
    this.lastWriteAt = this.now();
    this.batchClockStale = true;
    socket.write(data, this.afterWrite);
  }

  /** Drops what is pending (the connection is closing). */
  discard(): void {
    this.pending.reset();
    this.framesPending = 0;
    this.deferred = false;
  }
}
