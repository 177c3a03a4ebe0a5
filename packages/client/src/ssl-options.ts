/**
 * `sslOptions` checked at construction. cassandra-driver hands them to `tls.connect` unchecked, where a bad
 * value surfaces as a connection error much later; shardcql also has to post them to the shard worker threads,
 * where a value that cannot be structured-cloned (a function, a SecureContext) would be a bare DataCloneError.
 * So: a TypeError naming the field, at `new Client()`, for a wrong type or for a value that cannot cross to a
 * worker. `checkServerIdentity` is the one function that works: the workers ask the client's thread to run it
 * (engine/sharded-engine.ts onTlsCheck), since it decides which servers the driver may talk to.
 */
import type { ConnectionOptions as TlsOptions, PeerCertificate } from 'node:tls';

type Check = (v: unknown) => boolean;

const isString: Check = (v) => typeof v === 'string';
const isBoolean: Check = (v) => typeof v === 'boolean';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isBytes: Check = (v) => ArrayBuffer.isView(v);
const isPem: Check = (v) => isString(v) || isBytes(v);
/** ca, cert, crl: a PEM (string or bytes) or a list of them. */
const isPemOrList: Check = (v) => isPem(v) || (Array.isArray(v) && v.every(isPem));
/** key, pfx: also `{ pem | buf, passphrase }` entries in a list. */
const isKeyOrList: Check = (v) =>
  isPem(v) || (Array.isArray(v) && v.every((e) => isPem(e) || (typeof e === 'object' && e !== null && !Array.isArray(e))));
const isAlpn: Check = (v) => isBytes(v) || (Array.isArray(v) && v.every((e) => isString(e) || isBytes(e)));

/** node:tls fields whose type is checked here (what tls.connect and tls.createSecureContext take). */
const FIELDS: Record<string, [Check, string]> = {
  ca: [isPemOrList, 'a string, a Buffer or an array of them'],
  cert: [isPemOrList, 'a string, a Buffer or an array of them'],
  crl: [isPemOrList, 'a string, a Buffer or an array of them'],
  key: [isKeyOrList, 'a string, a Buffer or an array of them (or of { pem, passphrase } objects)'],
  pfx: [isKeyOrList, 'a string, a Buffer or an array of them (or of { buf, passphrase } objects)'],
  passphrase: [isString, 'a string'],
  servername: [isString, 'a string'],
  rejectUnauthorized: [isBoolean, 'a boolean'],
  requestCert: [isBoolean, 'a boolean'],
  honorCipherOrder: [isBoolean, 'a boolean'],
  enableTrace: [isBoolean, 'a boolean'],
  requestOCSP: [isBoolean, 'a boolean'],
  checkServerIdentity: [(v) => typeof v === 'function', 'a function'],
  minVersion: [isString, "a string (e.g. 'TLSv1.2')"],
  maxVersion: [isString, "a string (e.g. 'TLSv1.3')"],
  ciphers: [isString, 'a string'],
  ecdhCurve: [isString, 'a string'],
  sigalgs: [isString, 'a string'],
  secureProtocol: [isString, 'a string'],
  sessionIdContext: [isString, 'a string'],
  privateKeyEngine: [isString, 'a string'],
  privateKeyIdentifier: [isString, 'a string'],
  clientCertEngine: [isString, 'a string'],
  dhparam: [isPem, 'a string or a Buffer'],
  session: [isBytes, 'a Buffer'],
  ticketKeys: [isBytes, 'a Buffer'],
  ALPNProtocols: [isAlpn, 'an array of strings or Buffers, or a Buffer'],
  secureOptions: [(v) => Number.isInteger(v), 'an integer'],
  minDHSize: [isNumber, 'a number'],
  highWaterMark: [isNumber, 'a number'],
};

/** Fields that cannot work when another thread opens the connection, with what to use instead. */
const NOT_ACROSS_THREADS: Record<string, string> = {
  secureContext:
    'a SecureContext cannot be passed to the shard worker threads that open the connections; pass its ca, cert and key (or pfx) fields instead',
  pskCallback:
    'TLS-PSK callbacks run synchronously inside the TLS handshake of a shard worker thread and cannot call back to this thread; shardcql does not support them',
};

/**
 * The sslOptions to use (null: no TLS), or a TypeError for a bad value. `undefined`, `null` and `false` mean no
 * TLS (cassandra-driver tests `if (!sslOptions)`); anything else must be a plain object.
 */
export function validateSslOptions(value: unknown): TlsOptions | null {
  if (value === undefined || value === null || value === false) return null;
  if (typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new TypeError(`sslOptions must be an object (node:tls connect options), obtained: ${describe(value)}`);
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const v = o[key];
    if (v === undefined) continue;
    const why = NOT_ACROSS_THREADS[key];
    if (why !== undefined) throw new TypeError(`sslOptions.${key} is not supported: ${why}`);
    const f = FIELDS[key];
    if (f !== undefined) {
      if (!f[0](v)) throw new TypeError(`sslOptions.${key} must be ${f[1]}, obtained: ${describe(v)}`);
      if (key === 'checkServerIdentity') continue;
    }
    // Posted to the shard workers: anything else that does not survive the structured clone is refused here,
    // by name, rather than failing connect() with a DataCloneError.
    try {
      structuredClone(v);
    } catch {
      throw new TypeError(
        `sslOptions.${key} cannot be passed to the shard worker threads (${describe(v)} is not structured-clonable); only checkServerIdentity may be a function`,
      );
    }
  }
  return { ...(o as TlsOptions) };
}

/** Names a bad value without printing it (option-checks.ts's show would): sslOptions hold keys and certificates. */
function describe(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return 'an array';
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name !== undefined && name !== 'Object' ? `a ${name}` : 'an object';
}

/**
 * A certificate that came from a shard worker (structured clone: its Buffers arrived as plain Uint8Arrays)
 * made to look as node gives it to checkServerIdentity again: raw and pubkey as Buffers, along the issuer chain
 * (which ends in a cycle at a self-signed root; the clone kept it).
 */
export function revivePeerCertificate(cert: PeerCertificate): PeerCertificate {
  const seen = new Set<object>();
  let c: Record<string, unknown> | null = cert as unknown as Record<string, unknown>;
  while (c !== null && typeof c === 'object' && !seen.has(c)) {
    seen.add(c);
    for (const k of ['raw', 'pubkey']) {
      const v = c[k];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) c[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
    c = (c['issuerCertificate'] as Record<string, unknown> | undefined) ?? null;
  }
  return cert;
}

/** Runs the user's checkServerIdentity for a worker's handshake: null accepts, an Error refuses (as node treats it). */
export function checkServerIdentityFor(sslOptions: TlsOptions, hostname: string, cert: PeerCertificate): Error | null {
  const check = sslOptions.checkServerIdentity;
  if (typeof check !== 'function') return null;
  try {
    const verdict = check(hostname, revivePeerCertificate(cert));
    return verdict instanceof Error ? verdict : null;
  } catch (e) {
    // A check that throws refuses the server too.
    return e instanceof Error ? e : new Error(String(e));
  }
}
