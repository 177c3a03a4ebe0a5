import { CodecError } from '../errors';
import type { CodecOptions } from '../types/codec';
import { readValue } from '../types/decode';
import { dataTypes, type DataType } from '../types/data-type';
import { Tuple } from '../types/tuple';
import { Uuid } from '../types/uuid';

/**
 * ScyllaDB tablets (scylladb docs/dev/protocol-extensions.md, "Tablets routing v1"): a tablets-based table
 * has no vnode ring; each tablet owns a token range (first, last] and lists its replicas as (host id, shard).
 * The driver learns tablets lazily: a request that reached a node or shard which is not a replica of its
 * tablet gets its RESULT with the custom payload entry `tablets-routing-v1` describing that tablet.
 */

/** The STARTUP key (and SUPPORTED key) that negotiates the extension; its value is the empty string. */
export const TABLETS_ROUTING_V1 = 'TABLETS_ROUTING_V1';
/** The RESULT custom-payload key carrying one tablet. */
export const TABLETS_PAYLOAD_KEY = 'tablets-routing-v1';

/** One tablet as the payload describes it; tokens as int32 halves (hi signed, lo as int32 bits). */
export interface TabletPayload {
  firstHi: number;
  firstLo: number;
  lastHi: number;
  lastLo: number;
  hostIds: string[];
  shards: number[];
}

/** Host id (UUID string, lower case) -> host index; -1 (or any negative) when the host is unknown. */
export type HostIndexOf = (hostId: string) => number;

const BIGINT: DataType = { code: dataTypes.bigint, info: null };
// tuple<bigint first, bigint last, list<tuple<uuid host_id, int shard>>>
const PAYLOAD_TYPE: DataType = {
  code: dataTypes.tuple,
  info: [
    BIGINT,
    BIGINT,
    {
      code: dataTypes.list,
      info: {
        code: dataTypes.tuple,
        info: [
          { code: dataTypes.uuid, info: null },
          { code: dataTypes.int, info: null },
        ],
      },
    },
  ],
};
const PAYLOAD_OPTS: CodecOptions = {
  useBigIntAsLong: true,
  useBigIntAsVarint: true,
  copyBuffer: true,
  useUndefinedAsUnset: false,
  map: null,
  set: null,
};

/**
 * Decodes a `tablets-routing-v1` payload value (the [bytes] of the custom payload map entry) with the
 * value codec. Throws CodecError on anything that is not a tablet: malformed bytes, null elements, an empty
 * replica list, a negative shard, or first >= last.
 */
export function decodeTabletPayload(value: Buffer): TabletPayload {
  const t = readValue(value, 0, value.length, PAYLOAD_TYPE, PAYLOAD_OPTS);
  if (!(t instanceof Tuple) || t.elements.length !== 3) throw new CodecError('tablets-routing-v1: not a 3-element tuple');
  const first = t.elements[0];
  const last = t.elements[1];
  const replicas = t.elements[2];
  if (typeof first !== 'bigint' || typeof last !== 'bigint') throw new CodecError('tablets-routing-v1: null token');
  if (first >= last) throw new CodecError(`tablets-routing-v1: empty token range (${first}, ${last}]`);
  if (!Array.isArray(replicas) || replicas.length === 0) throw new CodecError('tablets-routing-v1: no replicas');
  const hostIds: string[] = [];
  const shards: number[] = [];
  for (const r of replicas as unknown[]) {
    if (!(r instanceof Tuple)) throw new CodecError('tablets-routing-v1: null replica');
    const id = r.elements[0];
    const shard = r.elements[1];
    if (!(id instanceof Uuid) || typeof shard !== 'number' || shard < 0) {
      throw new CodecError('tablets-routing-v1: replica without host id or with a bad shard');
    }
    hostIds.push(id.toString());
    shards.push(shard);
  }
  const fu = BigInt.asUintN(64, first);
  const lu = BigInt.asUintN(64, last);
  return {
    firstHi: Number(fu >> 32n) | 0,
    firstLo: Number(fu & 0xffffffffn) | 0,
    lastHi: Number(lu >> 32n) | 0,
    lastLo: Number(lu & 0xffffffffn) | 0,
    hostIds,
    shards,
  };
}

/** Signed 64-bit comparison of (ah, al) and (bh, bl): negative, 0 or positive. */
function cmp(ah: number, al: number, bh: number, bl: number): number {
  if (ah !== bh) return ah < bh ? -1 : 1;
  const ua = al >>> 0;
  const ub = bl >>> 0;
  return ua === ub ? 0 : ua < ub ? -1 : 1;
}

/**
 * The known tablets of one table: sorted by token, never overlapping. Lookup is one binary search over
 * Int32Arrays and allocates nothing:
 *
 *   const i = tablets.indexOf(hi, lo);           // hi/lo from murmur3TokenHiLo; -1: no known tablet
 *   const hosts = tablets.hosts[i], shards = tablets.shards[i];
 *   for (let r = 0; r < hosts.length; r++) ... host index hosts[r] (-1: unknown host), shard shards[r]
 *
 * Replicas are kept as host indexes (resolved once by the caller's HostIndexOf when the tablet is added,
 * and again by remapHosts after a topology change) so that routing compares no strings; `hostIds` keeps
 * the ids for that remapping and for logs.
 */
export class TableTablets {
  /** Number of tablets. */
  count = 0;
  /** Exclusive start token of tablet i (hi, lo halves). */
  firstHi: Int32Array = new Int32Array(8);
  firstLo: Int32Array = new Int32Array(8);
  /** Inclusive end token of tablet i; ascending. */
  lastHi: Int32Array = new Int32Array(8);
  lastLo: Int32Array = new Int32Array(8);
  /** Replica host indexes of tablet i, in the server's order (-1: host not known). */
  readonly hosts: Int32Array[] = [];
  /** Replica shards of tablet i, parallel to hosts[i]. */
  readonly shards: Int32Array[] = [];
  /** Replica host ids of tablet i, parallel to hosts[i]. */
  readonly hostIds: string[][] = [];

  /** The tablet whose range (first, last] holds token (hi, lo); -1 when no known tablet does. */
  indexOf(hi: number, lo: number): number {
    const n = this.count;
    const lh = this.lastHi;
    const ll = this.lastLo;
    const ulo = lo >>> 0;
    let a = 0;
    let b = n;
    // Smallest i with last[i] >= t.
    while (a < b) {
      const m = (a + b) >>> 1;
      const mh = lh[m]!;
      if (mh < hi || (mh === hi && ll[m]! >>> 0 < ulo)) a = m + 1;
      else b = m;
    }
    if (a === n) return -1;
    const fh = this.firstHi[a]!;
    // first < t: the range is exclusive at its start.
    return fh < hi || (fh === hi && this.firstLo[a]! >>> 0 < ulo) ? a : -1;
  }

  /**
   * Adds a tablet; every known tablet whose range overlaps it is dropped first (the protocol extension's
   * rule: the new tablet replaces them).
   */
  add(t: TabletPayload, hostIndexOf: HostIndexOf): void {
    const n = this.count;
    // Overlap of (f', l'] and (f, l]: l' > f and f' < l. Sorted and disjoint, so the overlapping tablets
    // are the run [start, end).
    let start = 0;
    while (start < n && cmp(this.lastHi[start]!, this.lastLo[start]!, t.firstHi, t.firstLo) <= 0) start++;
    let end = start;
    while (end < n && cmp(this.firstHi[end]!, this.firstLo[end]!, t.lastHi, t.lastLo) < 0) end++;
    const removed = end - start;
    const newCount = n - removed + 1;
    if (newCount > this.lastHi.length) this.grow(Math.max(newCount, this.lastHi.length * 2));
    if (removed !== 1) {
      // Shift the tail [end, n) to start + 1.
      for (const arr of [this.firstHi, this.firstLo, this.lastHi, this.lastLo]) arr.copyWithin(start + 1, end, n);
    }
    this.firstHi[start] = t.firstHi;
    this.firstLo[start] = t.firstLo;
    this.lastHi[start] = t.lastHi;
    this.lastLo[start] = t.lastLo;
    const hosts = new Int32Array(t.hostIds.length);
    for (let r = 0; r < hosts.length; r++) hosts[r] = hostIndexOf(t.hostIds[r]!) | 0;
    this.hosts.splice(start, removed, hosts);
    this.shards.splice(start, removed, Int32Array.from(t.shards));
    this.hostIds.splice(start, removed, t.hostIds.slice());
    this.count = newCount;
  }

  /** Re-resolves every replica's host index (after the host list changed). */
  remapHosts(hostIndexOf: HostIndexOf): void {
    for (let i = 0; i < this.count; i++) {
      const ids = this.hostIds[i]!;
      const hosts = this.hosts[i]!;
      for (let r = 0; r < ids.length; r++) hosts[r] = hostIndexOf(ids[r]!) | 0;
    }
  }

  /** Drops the tablets that have `hostId` as a replica (a host left the cluster). */
  removeHost(hostId: string): void {
    let w = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.hostIds[i]!.includes(hostId)) continue;
      if (w !== i) {
        this.firstHi[w] = this.firstHi[i]!;
        this.firstLo[w] = this.firstLo[i]!;
        this.lastHi[w] = this.lastHi[i]!;
        this.lastLo[w] = this.lastLo[i]!;
        this.hosts[w] = this.hosts[i]!;
        this.shards[w] = this.shards[i]!;
        this.hostIds[w] = this.hostIds[i]!;
      }
      w++;
    }
    this.hosts.length = w;
    this.shards.length = w;
    this.hostIds.length = w;
    this.count = w;
  }

  private grow(cap: number): void {
    const g = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.firstHi = g(this.firstHi);
    this.firstLo = g(this.firstLo);
    this.lastHi = g(this.lastHi);
    this.lastLo = g(this.lastLo);
  }
}

/**
 * Known tablets by (keyspace, table). Two-level maps, so finding a table's tablets builds no key string.
 * Tablets are dropped with their table or keyspace (SCHEMA_CHANGE DROPPED/UPDATED) or their host
 * (removeHost, TOPOLOGY_CHANGE REMOVED_NODE); a stale tablet otherwise only costs a misrouted request,
 * whose answer carries the current tablet.
 */
export class TabletMap {
  private readonly byKeyspace = new Map<string, Map<string, TableTablets>>();

  /** The tablets of keyspace.table; null when none is known. */
  table(keyspace: string, table: string): TableTablets | null {
    const t = this.byKeyspace.get(keyspace)?.get(table);
    return t !== undefined && t.count > 0 ? t : null;
  }

  /** Adds one tablet; returns the table's tablets. */
  add(keyspace: string, table: string, tablet: TabletPayload, hostIndexOf: HostIndexOf): TableTablets {
    let tables = this.byKeyspace.get(keyspace);
    if (tables === undefined) this.byKeyspace.set(keyspace, (tables = new Map()));
    let tt = tables.get(table);
    if (tt === undefined) tables.set(table, (tt = new TableTablets()));
    tt.add(tablet, hostIndexOf);
    return tt;
  }

  /** Decodes a `tablets-routing-v1` value and adds it (CodecError, and no change, on a bad payload). */
  addPayload(keyspace: string, table: string, value: Buffer, hostIndexOf: HostIndexOf): TableTablets {
    return this.add(keyspace, table, decodeTabletPayload(value), hostIndexOf);
  }

  removeTable(keyspace: string, table: string): void {
    this.byKeyspace.get(keyspace)?.delete(table);
  }

  removeKeyspace(keyspace: string): void {
    this.byKeyspace.delete(keyspace);
  }

  /** Drops every tablet with this replica host. */
  removeHost(hostId: string): void {
    for (const tables of this.byKeyspace.values()) for (const tt of tables.values()) tt.removeHost(hostId);
  }

  /** Re-resolves host indexes in every table (after the host list was rebuilt). */
  remapHosts(hostIndexOf: HostIndexOf): void {
    for (const tables of this.byKeyspace.values()) for (const tt of tables.values()) tt.remapHosts(hostIndexOf);
  }

  clear(): void {
    this.byKeyspace.clear();
  }

  /** Number of tables with tablets. */
  get tableCount(): number {
    let n = 0;
    for (const tables of this.byKeyspace.values()) for (const tt of tables.values()) if (tt.count > 0) n++;
    return n;
  }
}
