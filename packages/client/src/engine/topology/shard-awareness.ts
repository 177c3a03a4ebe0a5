/**
 * ScyllaDB shard awareness, the pure parts: what a host's SUPPORTED says about its shards
 * (scylladb docs/dev/protocol-extensions.md, "Intranode sharding"), which local ports land a
 * connection to the shard-aware port on a given shard (source port % nr_shards), and which connect
 * errors mean "that local port is taken, try the next one".
 */
import { Sharder } from '@shardcql/core';
import type { SerializedError } from '@shardcql/shard-worker';

/** What a host announced about its sharding. */
export interface ShardingInfo {
  /** The shard the connection that read this SUPPORTED landed on. */
  readonly shard: number;
  readonly sharder: Sharder;
  /** SCYLLA_SHARD_AWARE_PORT; 0 when the host has none. */
  readonly shardAwarePort: number;
}

function first(supported: Record<string, string[]>, key: string): string | undefined {
  const v = supported[key];
  return v === undefined ? undefined : v[0];
}

/**
 * The sharding keys of a SUPPORTED multimap; null when the host is not sharded (Cassandra), uses an
 * algorithm this driver does not know, or sends values that do not parse.
 */
export function parseSharding(supported: Record<string, string[]> | null): ShardingInfo | null {
  if (supported === null) return null;
  const nr = Number(first(supported, 'SCYLLA_NR_SHARDS'));
  const shard = Number(first(supported, 'SCYLLA_SHARD'));
  const msb = Number(first(supported, 'SCYLLA_SHARDING_IGNORE_MSB') ?? '0');
  const algorithm = first(supported, 'SCYLLA_SHARDING_ALGORITHM');
  if (!Number.isInteger(nr) || nr < 1 || nr > 0xffff || !Number.isInteger(shard) || shard < 0 || shard >= nr) return null;
  if (algorithm !== undefined && algorithm !== 'biased-token-round-robin') return null;
  if (!Number.isInteger(msb) || msb < 0 || msb > 63) return null;
  const port = Number(first(supported, 'SCYLLA_SHARD_AWARE_PORT') ?? '0');
  return { shard, sharder: new Sharder(nr, msb), shardAwarePort: Number.isInteger(port) && port > 0 && port < 65536 ? port : 0 };
}

/** The ephemeral range local ports are chosen from (IANA dynamic ports). */
export const LOCAL_PORT_MIN = 49152;
export const LOCAL_PORT_MAX = 65535;

/**
 * Hands out local ports p with p % nrShards == shard, walking the ephemeral range from a random
 * start so that two clients on one machine rarely try the same ports, and never handing out the same
 * port twice until the range wraps.
 */
export class LocalPortPicker {
  private cursor: number;

  constructor(seed = Math.floor(Math.random() * (LOCAL_PORT_MAX - LOCAL_PORT_MIN + 1))) {
    this.cursor = seed % (LOCAL_PORT_MAX - LOCAL_PORT_MIN + 1);
  }

  /** The next candidate port for `shard` of `nrShards`. */
  next(shard: number, nrShards: number): number {
    const span = LOCAL_PORT_MAX - LOCAL_PORT_MIN + 1;
    for (let k = 0; k < span; k++) {
      const p = LOCAL_PORT_MIN + ((this.cursor + k) % span);
      if (p % nrShards === shard) {
        this.cursor = (this.cursor + k + 1) % span;
        return p;
      }
    }
    // nrShards > span: no port in the range maps to this shard.
    return -1;
  }
}

/** The connect failed because the chosen local port (or its 4-tuple) is taken: try another port. */
export function isLocalPortTaken(e: SerializedError | null): boolean {
  if (e === null) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  return code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || /EADDRINUSE|EADDRNOTAVAIL/.test(e.message);
}

/** ScyllaDB's LWT metadata mark: the STARTUP value to echo and the bind-metadata flag mask. */
export interface LwtMark {
  readonly value: string;
  readonly mask: number;
}

/**
 * SUPPORTED `SCYLLA_LWT_ADD_METADATA_MARK` = `LWT_OPTIMIZATION_META_BIT_MASK=<u32>`
 * (protocol-extensions.md, "LWT prepared statements metadata mark"); null when absent or malformed.
 */
export function parseLwtMark(supported: Record<string, string[]> | null): LwtMark | null {
  const v = supported === null ? undefined : first(supported, 'SCYLLA_LWT_ADD_METADATA_MARK');
  if (v === undefined) return null;
  const m = /^LWT_OPTIMIZATION_META_BIT_MASK=(\d+)$/.exec(v);
  if (m === null) return null;
  const mask = Number(m[1]);
  if (!Number.isInteger(mask) || mask <= 0 || mask > 0xffffffff) return null;
  return { value: v, mask: mask >>> 0 };
}
