import type { ResponseError } from '../errors';

/**
 * Protocol version negotiation (v5 spec section 2.4.1.1; facts in protocol-facts.md "Versions"): the
 * client starts at the highest version it speaks and steps down when the server answers STARTUP (or
 * OPTIONS) with a protocol error about the version.
 */
export const protocolVersions = { v4: 4, v5: 5 } as const;
export const MIN_PROTOCOL_VERSION = 4;
export const MAX_PROTOCOL_VERSION = 5;

/** ERROR code 0x000A, "Protocol error" (spec section 9). */
const PROTOCOL_ERROR = 0x000a;

export interface AdvertisedVersion {
  version: number;
  beta: boolean;
}

/**
 * Parses "supported versions are (3/v3, 4/v4, 5/v5-beta)" out of Cassandra's protocol error message;
 * null when the message lists none (ScyllaDB, old servers).
 */
export function parseSupportedVersions(message: string): AdvertisedVersion[] | null {
  const m = /supported versions are \(([^)]*)\)/i.exec(message);
  if (m === null) return null;
  const out: AdvertisedVersion[] = [];
  for (const part of m[1]!.split(',')) {
    const v = /^\s*(\d+)(?:\/v\d+(-beta)?)?\s*$/i.exec(part);
    if (v !== null) out.push({ version: Number(v[1]), beta: v[2] !== undefined });
  }
  return out.length > 0 ? out : null;
}

/** Whether a server ERROR says the protocol version (or its beta status) was refused. */
export function isProtocolVersionError(err: ResponseError): boolean {
  return err.code === PROTOCOL_ERROR && /protocol version|beta version/i.test(err.message);
}

/**
 * The version to try after `current` was refused with `serverError`, or null to give up (not a
 * version error, or nothing lower that both sides speak). When the server lists its versions, the
 * highest non-beta one below `current` that this driver speaks is chosen; otherwise `current - 1`.
 */
export function nextVersionToTry(current: number, serverError: ResponseError): number | null {
  if (!isProtocolVersionError(serverError)) return null;
  const listed = parseSupportedVersions(serverError.message);
  if (listed !== null) {
    let best = -1;
    for (const v of listed) {
      if (!v.beta && v.version < current && v.version >= MIN_PROTOCOL_VERSION && v.version <= MAX_PROTOCOL_VERSION && v.version > best)
        best = v.version;
    }
    return best < 0 ? null : best;
  }
  const next = current - 1;
  return next >= MIN_PROTOCOL_VERSION ? next : null;
}
