/**
 * The engine of a thread that did not create the client: a piscina task, or any worker thread that
 * was given a handle. It owns no connection and no shard worker; it has its own ring pair to every
 * shard worker of the owning client, and routes with the owner's routing snapshot, taken when the handle
 * was made. A request sent to a connection that has closed since is moved by its worker to another
 * connection of the same host, or fails with NoHostAvailableError.
 */
import { EventEmitter } from 'node:events';
import { DriverError, NoHostAvailableError, NotSupportedError, TokenRing } from '@shardcql/core';
import type { Engine, EngineHost, ResponseFrame } from './engine';
import { RingRequester, type RequesterDescriptor } from './ring-requester';

/** Everything another thread needs; structured-clonable (post it, or pass it in a piscina task). */
export interface EngineHandle {
  readonly kind: 'shardcql-engine-handle';
  protocolVersion: number;
  keyspace: string | null;
  /** Unique per handle: a thread keeps one client per handle (see Client.fromHandle). */
  id: string;
  /** One ring set per thread that may use the handle; a thread claims the next with `claimed`. */
  slots: RequesterDescriptor[];
  /** Int32 counter of claimed slots. */
  claimed: SharedArrayBuffer;
  hosts: EngineHost[];
  /** Per host, its connection indexes. */
  hostConns: number[][];
  /** Per connection, the shard worker that owns it. */
  connWorker: number[];
  /** Per connection: 1 if open, 0 if down when the handle was made (Int32Array over this buffer). */
  connState: SharedArrayBuffer;
  /** [token, host index] pairs of the local datacenter, or null when routing is not token-aware. */
  ringEntries: Array<[string, number]> | null;
}

export function isEngineHandle(v: unknown): v is EngineHandle {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'shardcql-engine-handle';
}

export class RemoteEngine extends EventEmitter implements Engine {
  private readonly requester: RingRequester;
  private readonly connState: Int32Array;
  private readonly ring: TokenRing | null;
  private readonly rr: Int32Array;
  private rrHost = 0;
  private closed = false;
  readonly connected = true;

  constructor(private readonly handle: EngineHandle) {
    super();
    const slot = Atomics.add(new Int32Array(handle.claimed), 0, 1);
    if (slot >= handle.slots.length) {
      throw new DriverError(`all ${handle.slots.length} thread slots of this client handle are taken; create it with client.createHandle({ threads: n }) for more threads`);
    }
    this.requester = new RingRequester(handle.slots[slot]!);
    this.connState = new Int32Array(handle.connState);
    this.ring = handle.ringEntries !== null && handle.ringEntries.length > 0 ? new TokenRing(handle.ringEntries) : null;
    this.rr = new Int32Array(handle.hosts.length);
    const addresses = handle.connWorker.map((_w, c) => {
      const h = handle.hostConns.findIndex((cs) => cs.includes(c));
      return h >= 0 ? handle.hosts[h]!.address : 'unknown host';
    });
    this.requester.targetAddress = (t) => addresses[t] ?? 'unknown host';
    const connHost = new Int32Array(handle.connWorker.length).fill(-1);
    handle.hostConns.forEach((cs, h) => cs.forEach((c) => (connHost[c] = h)));
    this.requester.targetHost = connHost;
  }

  get protocolVersion(): number {
    return this.handle.protocolVersion;
  }

  get hosts(): readonly EngineHost[] {
    return this.handle.hosts;
  }

  get inFlight(): number {
    return this.requester.inFlight;
  }

  connect(): Promise<void> {
    return this.closed ? Promise.reject(new DriverError('The client is shut down')) : Promise.resolve();
  }

  send(opcode: number, flags: number, body: Uint8Array, bodyLength: number, timeoutMs: number, tokenHi: number, tokenLo: number, hasToken: boolean, hostIndex: number): Promise<ResponseFrame> {
    const hosts = this.handle.hosts;
    let h: number;
    if (hostIndex >= 0) h = hostIndex;
    else if (hasToken && this.ring !== null) h = this.ring.ownerIndexOf(tokenHi, tokenLo);
    else {
      h = this.rrHost;
      this.rrHost = (h + 1) % hosts.length;
    }
    for (let k = 0; k < hosts.length; k++) {
      const hi = (h + k) % hosts.length;
      const conns = this.handle.hostConns[hi]!;
      for (let j = 0; j < conns.length; j++) {
        const c = conns[(this.rr[hi]! + j) % conns.length]!;
        if (Atomics.load(this.connState, c) === 1) {
          this.rr[hi] = (this.rr[hi]! + j + 1) % conns.length;
          return this.requester.send(this.handle.connWorker[c]!, c, opcode, flags, body, bodyLength, timeoutMs);
        }
      }
      if (hostIndex >= 0) break;
    }
    const inner: Record<string, Error> = {};
    for (const hs of hosts) inner[hs.address] = new DriverError('no open connection');
    return Promise.reject(new NoHostAvailableError(inner));
  }

  async sendToAllHosts(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number): Promise<Array<ResponseFrame | Error>> {
    const out: Array<Promise<ResponseFrame | Error>> = [];
    for (let h = 0; h < this.handle.hosts.length; h++) {
      out.push(this.send(opcode, 0, body, bodyLength, timeoutMs, 0, 0, false, h).catch((e: Error) => e));
    }
    return Promise.all(out);
  }

  setKeyspace(_keyspace: string): Promise<void> {
    return Promise.reject(new NotSupportedError('USE on a client handle would change the keyspace of the owner\'s connections; set the keyspace on the owning client, or qualify table names'));
  }

  async waitForSchemaAgreement(): Promise<boolean> {
    return true;
  }

  /** Settles what is pending with an error; the shard workers and their connections belong to the owner. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const deadline = Date.now() + 15_000;
    while (this.requester.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    this.requester.close(new DriverError('The client handle was shut down before the request completed'));
  }
}
