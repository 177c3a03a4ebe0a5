/**
 * What one connection has in flight: the stream-id table (engine requests by tag, control requests by promise),
 * their deadlines, and the three scans over it: time out what is due, fail everything when the connection
 * closes, retag the requests of a removed requester. Cold paths, except the table itself (stream-ids.ts).
 */
import { FailureKind, OperationTimedOutError } from '@shardcql/core';
import type { ConnectionListener, ControlResponse } from './options';
import { StreamIdTable, StreamState } from './stream-ids';
import type { ConnectionMetrics } from '../metrics/connection-metrics';
// The layout's defining module, not a package index: plain properties, no getter per read.
import { C_CONNECTION_LOST, C_TIMEOUTS } from '@shardcql/core/ring/metrics-layout';

export interface PendingControl {
  resolve(r: ControlResponse): void;
  reject(e: Error): void;
}

export class InFlight {
  readonly ids: StreamIdTable;
  /** The control requests in flight, by stream id. */
  readonly controls = new Map<number, PendingControl>();

  constructor(
    capacity: number,
    private readonly listener: ConnectionListener,
    private readonly metrics: ConnectionMetrics | null,
    private readonly address: string,
  ) {
    this.ids = new StreamIdTable(capacity);
  }

  /**
   * Times out every request due by `now` (engine requests: onFailure TIMEOUT, their ids orphaned until the late
   * answer; control requests: OperationTimedOutError) by one scan of the ids ever used; returns the earliest
   * deadline left (Infinity: none).
   */
  expire(now: number): number {
    const ids = this.ids;
    const deadlines = ids.deadlines;
    let next = Infinity;
    const hw = ids.highWater;
    for (let id = 0; id < hw; id++) {
      const d = deadlines[id]!;
      if (d === 0) continue;
      if (d <= now) this.timeOut(id);
      else if (d < next) next = d;
    }
    return next;
  }

  private timeOut(id: number): void {
    const ids = this.ids;
    const ms = ids.timeouts[id]!;
    const message = `The host ${this.address} did not reply before timeout ${ms} ms`;
    if (ids.state[id] === StreamState.REQUEST) {
      const tag = ids.tags[id]!;
      ids.orphan(id);
      if (this.metrics !== null) this.metrics.c[C_TIMEOUTS]!++;
      this.listener.onFailure(tag, FailureKind.TIMEOUT, message);
    } else {
      const c = this.controls.get(id);
      this.controls.delete(id);
      ids.orphan(id);
      if (c !== undefined) c.reject(new OperationTimedOutError(message, this.address));
    }
  }

  /** The connection closed: every engine request fails CONNECTION_LOST with `message`, every control one with `error`. */
  failAll(message: string, error: Error): void {
    const ids = this.ids;
    const hw = ids.highWater;
    for (let id = 0; id < hw; id++) {
      const s = ids.state[id];
      if (s === StreamState.FREE) continue;
      if (s === StreamState.REQUEST) {
        const tag = ids.tags[id]!;
        ids.release(id);
        if (this.metrics !== null) this.metrics.c[C_CONNECTION_LOST]!++;
        this.listener.onFailure(tag, FailureKind.CONNECTION_LOST, message);
      } else if (s === StreamState.CONTROL) {
        const c = this.controls.get(id);
        this.controls.delete(id);
        ids.release(id);
        if (c !== undefined) c.reject(error);
      } else {
        ids.release(id);
      }
    }
  }

  /** Requests in flight whose tag is in [lo, hi) get the tag `to + (tag - lo)`; returns how many. */
  retag(lo: number, hi: number, to: number): number {
    const ids = this.ids;
    const hw = ids.highWater;
    let n = 0;
    for (let id = 0; id < hw; id++) {
      const tag = ids.tags[id]!;
      if (ids.state[id] === StreamState.REQUEST && tag >= lo && tag < hi) {
        ids.tags[id] = to + (tag - lo);
        n++;
      }
    }
    return n;
  }
}
