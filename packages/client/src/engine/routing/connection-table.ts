/**
 * The connection table: every connection of the engine by its engine-wide index (conn-indexes.ts), and every
 * host's connections, in one SharedArrayBuffer that the owner writes and the handle threads read (live: a
 * connection opening, closing or being added is seen by every thread without a message).
 *
 * Per connection c: the shard worker that owns it (-1: the direct lane's metrics slot), its host index (-1 once
 * the host was removed or the connection dropped), up (1: open), and the ScyllaDB shard it reported (-1: none).
 * Per host h: usable (1 when one of its connections is up: what routing reads), its connections (in the order
 * they were added), and ScyllaDB's shard -> connection slots (-1: none).
 *
 * Only the owner writes (the engine's thread). Readers on other threads read without locks: each cell is one
 * aligned Int32 (no tearing); a reader racing a change sees the old or the new value, and the worst a stale
 * read does is send to a connection that just closed, which its worker moves to another connection of the
 * host or fails as not sent. Cells are written with Atomics.store so that they are published at once.
 *
 * When the table outgrows its buffer (more connections, hosts, connections per host or shards than it was
 * made for), the owner makes a buffer twice as large, copies the table over, and calls `onGrow`: the handles
 * then get the new buffer (share(), attach()). Until they do, they read the old one, which no longer changes.
 */
import type { ConnectionSpec } from '@shardcql/shard-worker';

/** What another thread needs to read the table: structured-clonable. */
export interface SharedConnectionTable {
  buffer: SharedArrayBuffer;
  conns: number;
  hosts: number;
  perHost: number;
  perShard: number;
}

// Header cells.
const H_HOST_COUNT = 0;
const H_VERSION = 1;
const HEADER = 4;

export class ConnectionTable {
  /** Capacities of the current buffer. */
  private conns = 0;
  private hostCap = 0;
  private perHost = 0;
  private perShard = 0;
  private buffer: SharedArrayBuffer = new SharedArrayBuffer(4);
  private header: Int32Array = new Int32Array(HEADER);
  /** Per connection. */
  private worker: Int32Array = new Int32Array(0);
  /** Per connection: its host, -1 for none. The ring requester maps an answer to its host through this array. */
  host: Int32Array = new Int32Array(0);
  private up: Int32Array = new Int32Array(0);
  private shard: Int32Array = new Int32Array(0);
  /** Per host. */
  private usable: Int32Array = new Int32Array(0);
  /** `usable` over the hostCount hosts (a view, kept with the host count). */
  private usableView: Int32Array = new Int32Array(0);
  private connCount: Int32Array = new Int32Array(0);
  private hostConnList: Int32Array = new Int32Array(0);
  private shardCount: Int32Array = new Int32Array(0);
  private shardConnList: Int32Array = new Int32Array(0);
  /** Owner only: how each connection was opened (host, port, local port). Not shared. */
  private readonly specs: Array<ConnectionSpec | undefined> = [];
  /** Owner only: called after the table moved to a larger buffer (handles must attach() the new one). */
  onGrow: (() => void) | null = null;

  constructor(shared?: SharedConnectionTable) {
    if (shared !== undefined) this.attach(shared);
    else this.allocate(64, 8, 8, 0);
  }

  // ---- reads (any thread; the request path: no allocation) -------------------------------------------

  /** Hosts in the table (the engine's host list length). */
  get hostCount(): number {
    return this.header[H_HOST_COUNT]!;
  }

  /** Connection indexes below this have cells. */
  get connCapacity(): number {
    return this.conns;
  }

  /** Bumped by every change of a host's connection list or shard slots (for tests and diagnostics). */
  get version(): number {
    return this.header[H_VERSION]!;
  }

  workerOf(c: number): number {
    return c >= 0 && c < this.conns ? this.worker[c]! : -1;
  }

  hostOf(c: number): number {
    return c >= 0 && c < this.conns ? this.host[c]! : -1;
  }

  isUp(c: number): boolean {
    return c >= 0 && c < this.conns && this.up[c] === 1;
  }

  /** ScyllaDB: the shard connection c reported when it (re)connected; -1: none. */
  reportedShard(c: number): number {
    return c >= 0 && c < this.conns ? this.shard[c]! : -1;
  }

  /** Per host of the host list: 1 when it has an open connection (a live view: do not write). */
  get usableMarks(): Int32Array {
    if (this.usableView.length !== this.header[H_HOST_COUNT]) this.usableView = this.usable.subarray(0, this.header[H_HOST_COUNT]);
    return this.usableView;
  }

  /** Host h has an open connection. */
  isUsable(h: number): boolean {
    return h >= 0 && h < this.hostCap && this.usable[h] === 1;
  }

  /** The number of connections of host h. */
  connCountOf(h: number): number {
    return h >= 0 && h < this.hostCap ? this.connCount[h]! : 0;
  }

  /** Connection j (0 <= j < connCountOf(h)) of host h. */
  connOf(h: number, j: number): number {
    return this.hostConnList[h * this.perHost + j]!;
  }

  /** ScyllaDB: the number of shard slots of host h (its nrShards; 0: not sharded or not known yet). */
  shardCountOf(h: number): number {
    return h >= 0 && h < this.hostCap ? this.shardCount[h]! : 0;
  }

  /** ScyllaDB: the connection of shard s of host h; -1: none (or no such shard). */
  shardConnOf(h: number, s: number): number {
    return h >= 0 && h < this.hostCap && s >= 0 && s < this.shardCount[h]! ? this.shardConnList[h * this.perShard + s]! : -1;
  }

  /** ScyllaDB: the shard slot of host h that connection c holds; -1: none. */
  shardSlotOf(h: number, c: number): number {
    const n = this.shardCountOf(h);
    const base = h * this.perShard;
    for (let s = 0; s < n; s++) if (this.shardConnList[base + s] === c) return s;
    return -1;
  }

  /** ScyllaDB: the first empty shard slot of host h; -1 when every slot has a connection (or h has none). */
  missingShard(h: number): number {
    const n = this.shardCountOf(h);
    const base = h * this.perShard;
    for (let s = 0; s < n; s++) if (this.shardConnList[base + s]! < 0) return s;
    return -1;
  }

  /** An open connection of host h from position `from` of its list on (round robin); -1 when none. */
  openConnOf(h: number, from: number): number {
    const n = this.connCountOf(h);
    const base = h * this.perHost;
    for (let j = 0; j < n; j++) {
      let k = from + j;
      if (k >= n) k %= n;
      const c = this.hostConnList[base + k]!;
      if (this.up[c] === 1) return c;
    }
    return -1;
  }

  // ---- reads for the owner's cold paths (allocate) -----------------------------------------------------

  /** The connections of host h, as a new array. */
  connsOf(h: number): number[] {
    const n = this.connCountOf(h);
    const out = new Array<number>(n);
    for (let j = 0; j < n; j++) out[j] = this.connOf(h, j);
    return out;
  }

  /** The shard slots of host h, as a new array (-1: empty). */
  shardConnsOf(h: number): number[] {
    const n = this.shardCountOf(h);
    const out = new Array<number>(n);
    for (let s = 0; s < n; s++) out[s] = this.shardConnList[h * this.perShard + s]!;
    return out;
  }

  /** How connection c was opened (owner only); undefined for an index never used. */
  specOf(c: number): ConnectionSpec | undefined {
    return this.specs[c];
  }

  /** Host h has an open connection, from the connection cells (not the usable mark). */
  hasOpenConn(h: number): boolean {
    return this.openConnOf(h, 0) >= 0;
  }

  // ---- writes (the owner) ------------------------------------------------------------------------------

  /** The host list now has n hosts (hosts past n lose their lists). */
  setHostCount(n: number): void {
    this.ensure(this.conns, n, this.perHost, this.perShard);
    for (let h = n; h < this.header[H_HOST_COUNT]!; h++) this.clearHost(h);
    Atomics.store(this.header, H_HOST_COUNT, n);
    this.bump();
  }

  /**
   * Connection index c now belongs to host h (-1: a slot of no host's list, e.g. the direct lane's metrics
   * slot) in `worker`; down, no shard reported. Appended to h's list when h >= 0 and `listed`.
   */
  add(c: number, worker: number, h: number, spec: ConnectionSpec, listed = true): void {
    this.ensure(c + 1, Math.max(h + 1, this.header[H_HOST_COUNT]!), this.perHost, this.perShard);
    this.specs[c] = spec;
    Atomics.store(this.worker, c, worker);
    Atomics.store(this.up, c, 0);
    Atomics.store(this.shard, c, -1);
    Atomics.store(this.host, c, h);
    if (h >= 0 && listed) this.appendConn(h, c);
  }

  /** Marks connection c open or closed and updates its host's usable mark; returns that host (-1: none). */
  setUp(c: number, up: boolean): number {
    if (c < 0 || c >= this.conns) return -1;
    Atomics.store(this.up, c, up ? 1 : 0);
    const h = this.host[c]!;
    if (h >= 0 && h < this.hostCap) this.refreshUsable(h);
    return h;
  }

  /** ScyllaDB: connection c reported shard s when it (re)connected. */
  setReportedShard(c: number, s: number): void {
    if (c >= 0 && c < this.conns) Atomics.store(this.shard, c, s);
  }

  /** Recomputes host h's usable mark from its connections' cells. */
  refreshUsable(h: number): void {
    Atomics.store(this.usable, h, this.hasOpenConn(h) ? 1 : 0);
  }

  /** Connection c leaves its host's list: no host, down (the index may then be released). */
  remove(c: number): void {
    if (c < 0 || c >= this.conns) return;
    const h = this.host[c]!;
    Atomics.store(this.up, c, 0);
    Atomics.store(this.host, c, -1);
    if (h < 0 || h >= this.hostCap) return;
    const base = h * this.perHost;
    const n = this.connCount[h]!;
    let w = 0;
    for (let j = 0; j < n; j++) {
      const x = this.hostConnList[base + j]!;
      if (x !== c) Atomics.store(this.hostConnList, base + w++, x);
    }
    Atomics.store(this.connCount, h, w);
    for (let s = 0; s < this.shardCount[h]!; s++)
      if (this.shardConnList[h * this.perShard + s] === c) Atomics.store(this.shardConnList, h * this.perShard + s, -1);
    this.refreshUsable(h);
    this.bump();
  }

  /** ScyllaDB: host h has `n` shards, all slots empty. */
  initShards(h: number, n: number): void {
    this.ensure(this.conns, this.hostCap, Math.max(this.perHost, n), Math.max(this.perShard, n));
    for (let s = 0; s < n; s++) Atomics.store(this.shardConnList, h * this.perShard + s, -1);
    Atomics.store(this.shardCount, h, n);
    this.bump();
  }

  /** ScyllaDB: the connection of shard s of host h (-1: empty). */
  setShardConn(h: number, s: number, c: number): void {
    if (s < 0 || s >= this.shardCountOf(h)) return;
    Atomics.store(this.shardConnList, h * this.perShard + s, c);
    this.bump();
  }

  /**
   * The host list was compacted: old host index o is now `newIndex[o]` (-1: removed; its connections must have
   * been removed first). Lists and shard slots move with their hosts; the connections' host cells follow.
   */
  renumberHosts(newIndex: readonly number[], count: number): void {
    let moved = false;
    for (let o = 0; o < newIndex.length; o++) if (newIndex[o] !== o) moved = true;
    // The common refresh (nothing removed, maybe hosts appended): no cell moves, readers never see a gap.
    if (!moved) {
      this.setHostCount(count);
      return;
    }
    const lists: number[][] = [];
    const shards: number[][] = [];
    for (let o = 0; o < newIndex.length; o++) {
      lists.push(this.connsOf(o));
      shards.push(this.shardConnsOf(o));
    }
    // Every connection's host cell first (slots in no list too, e.g. the direct lane's), then the lists, each
    // written over the old one in place (never emptied first: a reader on another thread sees one or the other).
    for (let c = 0; c < this.conns; c++) {
      const o = this.host[c]!;
      if (o >= 0) Atomics.store(this.host, c, o < newIndex.length ? newIndex[o]! : -1);
    }
    this.ensure(this.conns, count, this.perHost, this.perShard);
    const written = new Uint8Array(Math.max(count, newIndex.length));
    for (let o = 0; o < newIndex.length; o++) {
      const h = newIndex[o]!;
      if (h < 0) continue;
      written[h] = 1;
      const list = lists[o]!;
      this.ensure(this.conns, this.hostCap, list.length, this.perShard);
      for (let j = 0; j < list.length; j++) Atomics.store(this.hostConnList, h * this.perHost + j, list[j]!);
      Atomics.store(this.connCount, h, list.length);
      const sc = shards[o]!;
      this.ensure(this.conns, this.hostCap, this.perHost, sc.length);
      for (let k = 0; k < sc.length; k++) Atomics.store(this.shardConnList, h * this.perShard + k, sc[k]!);
      Atomics.store(this.shardCount, h, sc.length);
      this.refreshUsable(h);
    }
    for (let h = 0; h < written.length; h++) if (written[h] === 0) this.clearHost(h);
    Atomics.store(this.header, H_HOST_COUNT, count);
    this.bump();
  }

  /** Forgets everything (a new connect after a failed one). */
  reset(): void {
    this.specs.length = 0;
    this.allocate(this.conns, this.hostCap, this.perHost, this.perShard);
    this.onGrow?.();
  }

  // ---- sharing -----------------------------------------------------------------------------------------

  /** What another thread passes to `new ConnectionTable(shared)` or attach(). */
  share(): SharedConnectionTable {
    return { buffer: this.buffer, conns: this.conns, hosts: this.hostCap, perHost: this.perHost, perShard: this.perShard };
  }

  /** Reads the table of another thread's owner from now on (its buffer after a growth). */
  attach(t: SharedConnectionTable): void {
    this.map(t.buffer, t.conns, t.hosts, t.perHost, t.perShard);
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private appendConn(h: number, c: number): void {
    const n = this.connCount[h]!;
    if (n >= this.perHost) this.ensure(this.conns, this.hostCap, this.perHost * 2, this.perShard);
    Atomics.store(this.hostConnList, h * this.perHost + n, c);
    Atomics.store(this.connCount, h, n + 1);
    this.bump();
  }

  private clearHost(h: number): void {
    if (h >= this.hostCap) return;
    Atomics.store(this.connCount, h, 0);
    Atomics.store(this.shardCount, h, 0);
    Atomics.store(this.usable, h, 0);
  }

  private bump(): void {
    Atomics.add(this.header, H_VERSION, 1);
  }

  /** Grows the buffer (doubling) until it holds `conns` connections, `hosts` hosts, `perHost` and `perShard` per host. */
  private ensure(conns: number, hosts: number, perHost: number, perShard: number): void {
    if (conns <= this.conns && hosts <= this.hostCap && perHost <= this.perHost && perShard <= this.perShard) return;
    const grow = (have: number, need: number, min: number): number => {
      let n = Math.max(have, min);
      while (n < need) n *= 2;
      return n;
    };
    const old = {
      header: this.header,
      worker: this.worker,
      host: this.host,
      up: this.up,
      shard: this.shard,
      usable: this.usable,
      connCount: this.connCount,
      shardCount: this.shardCount,
      list: this.hostConnList,
      slots: this.shardConnList,
      conns: this.conns,
      hosts: this.hostCap,
      perHost: this.perHost,
      perShard: this.perShard,
    };
    this.allocate(
      grow(this.conns, conns, 64),
      grow(this.hostCap, hosts, 8),
      grow(this.perHost, perHost, 8),
      perShard <= this.perShard ? this.perShard : grow(this.perShard, perShard, 4),
    );
    this.header.set(old.header);
    this.worker.set(old.worker);
    this.host.set(old.host);
    this.up.set(old.up);
    this.shard.set(old.shard);
    this.usable.set(old.usable);
    this.connCount.set(old.connCount);
    this.shardCount.set(old.shardCount);
    for (let h = 0; h < old.hosts; h++) {
      this.hostConnList.set(old.list.subarray(h * old.perHost, h * old.perHost + old.connCount[h]!), h * this.perHost);
      this.shardConnList.set(old.slots.subarray(h * old.perShard, h * old.perShard + old.shardCount[h]!), h * this.perShard);
    }
    this.onGrow?.();
  }

  private allocate(conns: number, hosts: number, perHost: number, perShard: number): void {
    const cells = HEADER + 4 * conns + 3 * hosts + hosts * perHost + hosts * perShard;
    const buffer = new SharedArrayBuffer(4 * cells);
    this.map(buffer, conns, hosts, perHost, perShard);
    this.worker.fill(-1);
    this.host.fill(-1);
    this.shard.fill(-1);
  }

  private map(buffer: SharedArrayBuffer, conns: number, hosts: number, perHost: number, perShard: number): void {
    const all = new Int32Array(buffer);
    let at = 0;
    const take = (n: number): Int32Array => {
      const v = all.subarray(at, at + n);
      at += n;
      return v;
    };
    this.buffer = buffer;
    this.header = take(HEADER);
    this.worker = take(conns);
    this.host = take(conns);
    this.up = take(conns);
    this.shard = take(conns);
    this.usable = take(hosts);
    this.connCount = take(hosts);
    this.shardCount = take(hosts);
    this.usableView = this.usable.subarray(0, Math.min(hosts, this.header[H_HOST_COUNT]!));
    this.hostConnList = take(hosts * perHost);
    this.shardConnList = take(hosts * perShard);
    this.conns = conns;
    this.hostCap = hosts;
    this.perHost = perHost;
    this.perShard = perShard;
  }
}
