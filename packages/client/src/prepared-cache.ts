/**
 * Prepared statements by (keyspace, query): an LRU bounded by `maxPrepared`. A first execution starts one
 * PREPARE; concurrent first executions of the same query wait on that same promise.
 */
import type { DataType, RowsMetadata } from '@shardcql/core';

export class PreparedInfo {
  /** Resolved once the PREPARE succeeded; rejected (and evicted) if it failed. */
  promise: Promise<PreparedInfo> | null = null;
  id: Buffer | null = null;
  /** v5: the result metadata id, sent with EXECUTE and refreshed from METADATA_CHANGED rows. */
  resultMetadataId: Buffer | null = null;
  /** Bind markers: their names and types, and the partition-key indexes (spec 4.2.5.4). */
  bindMetadata: RowsMetadata | null = null;
  /** Result columns, used to decode rows sent without metadata (skip_metadata). */
  resultMetadata: RowsMetadata | null = null;
  /** Re-PREPAREs in flight after UNPREPARED, by host index. */
  repreparing: Map<number, Promise<PreparedInfo>> | null = null;
  /** The bind markers' types, in order (the value types of EXECUTE). */
  bindTypes: DataType[] | null = null;

  constructor(
    readonly query: string,
    readonly keyspace: string | null,
  ) {}
}

export class PreparedCache {
  private readonly map = new Map<string, PreparedInfo>();
  private readonly byId = new Map<string, PreparedInfo>();
  /** The entry `get` returned last (the youngest in the LRU order), so repeated gets skip the reorder. */
  private lastKey: string | null = null;
  private lastInfo: PreparedInfo | undefined = undefined;

  constructor(private readonly maxPrepared: number) {}

  static key(keyspace: string | null, query: string): string {
    return keyspace === null ? query : `${keyspace}\u0000${query}`;
  }

  get size(): number {
    return this.map.size;
  }

  /** The entry, marked most recently used; undefined if absent. */
  get(key: string): PreparedInfo | undefined {
    // A loop over one statement asks for the same key each time: it is already the youngest entry.
    if (key === this.lastKey) return this.lastInfo;
    const info = this.map.get(key);
    if (info !== undefined) {
      this.lastKey = key;
      this.lastInfo = info;
    }
    if (info !== undefined && this.map.size > 1) {
      // Map keeps insertion order: re-inserting moves the entry to the young end.
      this.map.delete(key);
      this.map.set(key, info);
    }
    return info;
  }

  /** Inserts an entry, evicting the least recently used beyond `maxPrepared`. */
  set(key: string, info: PreparedInfo): void {
    this.lastKey = null;
    this.lastInfo = undefined;
    this.map.delete(key);
    this.map.set(key, info);
    while (this.map.size > this.maxPrepared) {
      const oldest = this.map.keys().next().value as string;
      const evicted = this.map.get(oldest)!;
      this.map.delete(oldest);
      if (evicted.id !== null) this.byId.delete(evicted.id.toString('hex'));
    }
  }

  delete(key: string): void {
    this.lastKey = null;
    this.lastInfo = undefined;
    const info = this.map.get(key);
    if (info === undefined) return;
    this.map.delete(key);
    if (info.id !== null) this.byId.delete(info.id.toString('hex'));
  }

  /** Records the statement id once PREPARE answered (for lookups by id on UNPREPARED). */
  setId(info: PreparedInfo, id: Buffer): void {
    if (info.id !== null) this.byId.delete(info.id.toString('hex'));
    info.id = id;
    this.byId.set(id.toString('hex'), info);
  }

  getById(id: Buffer): PreparedInfo | undefined {
    return this.byId.get(id.toString('hex'));
  }

  clear(): void {
    this.lastKey = null;
    this.lastInfo = undefined;
    this.map.clear();
    this.byId.clear();
  }

  values(): IterableIterator<PreparedInfo> {
    return this.map.values();
  }
}
