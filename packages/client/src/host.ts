/**
 * `Host` and `HostMap` as cassandra-driver exposes them (`lib/host.js`): a view over the engine's host table,
 * keyed by "ip:port". The engine owns the connections; these objects carry the metadata and the up/down state.
 */
import { EventEmitter } from 'node:events';
import type { EngineHost } from './engine/engine';

export class Host extends EventEmitter {
  address: string;
  // Declared without null, as cassandra-driver declares them (null until the host's row is read).
  datacenter: string;
  rack: string;
  tokens: string[];
  hostId: string;
  cassandraVersion: string;
  /** Index in the engine's host table (for pinning a request to this host). */
  readonly index: number;
  private up: boolean;

  constructor(source: EngineHost, index: number) {
    super();
    this.index = index;
    this.address = source.address;
    this.datacenter = source.datacenter as string;
    this.rack = source.rack as string;
    this.tokens = source.tokens;
    this.hostId = source.hostId as string;
    this.cassandraVersion = source.cassandraVersion as string;
    this.up = source.up;
  }

  /** Copies the engine's view; emits 'up'/'down' on a change. */
  update(source: EngineHost): void {
    this.datacenter = source.datacenter as string;
    this.rack = source.rack as string;
    this.tokens = source.tokens;
    this.hostId = source.hostId as string;
    this.cassandraVersion = source.cassandraVersion as string;
    this.setUp(source.up);
  }

  setUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.emit(up ? 'up' : 'down');
  }

  isUp(): boolean {
    return this.up;
  }

  canBeConsideredAsUp(): boolean {
    return this.up;
  }

  /** The release version as numbers, e.g. [5, 0, 2]. */
  getCassandraVersion(): number[] {
    if (!this.cassandraVersion) return [];
    return this.cassandraVersion
      .split('-')[0]!
      .split('.')
      .map((x) => parseInt(x, 10));
  }
}

export class HostMap extends EventEmitter {
  private readonly items = new Map<string, Host>();
  private cachedValues: Host[] | null = null;

  get length(): number {
    return this.items.size;
  }

  forEach(callback: (value: Host, key: string) => void): void {
    for (const [key, host] of this.items) callback(host, key);
  }

  /** The host, or undefined when there is none (declared `Host` as in cassandra-driver). */
  get(key: string): Host {
    return this.items.get(key)!;
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** A cached array, rebuilt only when the map changes (as cassandra-driver). */
  values(): Host[] {
    if (this.cachedValues === null) this.cachedValues = [...this.items.values()];
    return this.cachedValues;
  }

  set(key: string, value: Host): void {
    const existing = this.items.has(key);
    this.items.set(key, value);
    this.cachedValues = null;
    if (!existing) this.emit('add', value);
  }

  remove(key: string): void {
    const host = this.items.get(key);
    if (host === undefined) return;
    this.items.delete(key);
    this.cachedValues = null;
    this.emit('remove', host);
  }

  clear(): Host[] {
    const removed = this.values();
    this.items.clear();
    this.cachedValues = null;
    for (const h of removed) this.emit('remove', h);
    return removed;
  }

  toJSON(): Record<string, Host> {
    return Object.fromEntries(this.items);
  }
}
