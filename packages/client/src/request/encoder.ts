/**
 * Request bodies and routing tokens. One reused ByteWriter holds the body of the request being sent (the
 * engine copies it before `send` returns), one reused QueryParameters its parameters, and two small writers
 * the routing key; a request that grew a writer past MAX_KEPT_WRITER gives it back afterwards.
 */
import { inspect } from 'node:util';
import {
  ByteWriter,
  defaultCodecOptions,
  encodeBatch,
  encodeExecute,
  encodePrepare,
  encodeQuery,
  frameFlags,
  murmur3TokenHiLo,
  newQueryParameters,
  unset,
  writeValue,
  type CodecOptions,
  type QueryParameters,
} from '@shardcql/core';
import type { ResolvedClientOptions } from '../client-options';
import type { PreparedInfo } from '../prepared-cache';
import { RequestKind, type Request } from './request';

/*
 * Hot-path bindings resolved once: CommonJS re-exports (`export *`) are property getters, so reading
 * `core.encodeExecute` or `frameFlags.tracing` per request would walk the re-export chain every time.
 */
const FLAG_TRACING: number = frameFlags.tracing;
const FLAG_CUSTOM_PAYLOAD: number = frameFlags.customPayload;
const UNSET: unknown = unset;
const fEncodeQuery = encodeQuery;
const fEncodeExecute = encodeExecute;
const fEncodeBatch = encodeBatch;
const fEncodePrepare = encodePrepare;
const fMurmur3 = murmur3TokenHiLo;
const fWriteValue = writeValue;

/** The request writer's initial size, and the size past which it is given back after a request (see releaseLargeBuffers). */
const WRITER_SIZE = 64 * 1024;
const MAX_KEPT_WRITER = 4 * 1024 * 1024;
const SCRATCH_SIZE = 256;

/** The codec options of a client's `encoding` option. */
export function codecOptionsOf(options: ResolvedClientOptions): CodecOptions {
  const enc = options.encoding;
  const codec = defaultCodecOptions();
  codec.copyBuffer = enc.copyBuffer !== false;
  codec.useUndefinedAsUnset = enc.useUndefinedAsUnset !== false;
  codec.useBigIntAsLong = !!enc.useBigIntAsLong;
  codec.useBigIntAsVarint = !!enc.useBigIntAsVarint;
  codec.map = (enc.map as CodecOptions['map']) ?? null;
  codec.set = (enc.set as CodecOptions['set']) ?? null;
  return codec;
}

export class RequestEncoder {
  /** The negotiated protocol version (set once connected). */
  protocolVersion = 0;
  /** The body of the request being sent: `writer.buf[0, writer.pos)`. */
  readonly writer = new ByteWriter(WRITER_SIZE);
  private readonly routingWriter = new ByteWriter(SCRATCH_SIZE);
  private readonly valueWriter = new ByteWriter(SCRATCH_SIZE);
  private readonly qp: QueryParameters = newQueryParameters();
  private readonly token = new Int32Array(2);

  constructor(readonly codec: CodecOptions) {}

  /** Writes the request body into `writer`; returns the frame flags (tracing, custom payload). */
  encode(req: Request): number {
    const w = this.writer;
    const p = this.qp;
    const eo = req.eo;
    const version = this.protocolVersion;
    w.reset();
    let flags = 0;
    if (eo.isQueryTracing()) flags |= FLAG_TRACING;
    const payload = eo.getCustomPayload();
    if (payload) {
      // Spec section 2.4: a request's custom payload is a [bytes map] before the message body.
      flags |= FLAG_CUSTOM_PAYLOAD;
      w.bytesMap(payload);
    }
    p.consistency = req.consistency;
    p.serialConsistency = eo.getSerialConsistency() ?? -1;
    p.timestamp = req.timestamp;
    p.keyspace = version >= 5 ? (eo.getKeyspace() ?? null) : null;
    p.nowInSeconds = -1;
    try {
      if (req.kind === RequestKind.Batch) {
        p.values = null;
        p.valueTypes = null;
        p.names = null;
        p.pageSize = 0;
        p.pagingState = null;
        p.skipMetadata = false;
        const type = eo.isBatchCounter() ? 2 : eo.isBatchLogged() ? 0 : 1;
        fEncodeBatch(w, version, type, req.entries!, p, this.codec);
        return flags;
      }
      p.values = req.values;
      p.valueTypes = req.types;
      p.names = req.names;
      const fetchSize = eo.getFetchSize() ?? 5000;
      p.pageSize = fetchSize > 0 ? fetchSize : 0;
      p.pagingState = eo.getPageState() ?? null;
      if (req.kind === RequestKind.Execute) {
        const info = req.info!;
        const rm = info.resultMetadata;
        p.skipMetadata = rm !== null && rm.columns !== null && rm.columnCount > 0;
        fEncodeExecute(w, version, info.id!, info.resultMetadataId, p, this.codec);
      } else {
        p.skipMetadata = false;
        fEncodeQuery(w, version, req.query, p, this.codec);
      }
      return flags;
    } finally {
      // Do not keep the caller's values alive through the shared parameters object.
      p.values = null;
      p.valueTypes = null;
      p.names = null;
      p.pagingState = null;
    }
  }

  /** Writes a PREPARE body into `writer`. */
  encodePrepare(info: PreparedInfo): void {
    const w = this.writer;
    w.reset();
    fEncodePrepare(w, this.protocolVersion, info.query, info.keyspace);
  }

  /**
   * The routing token into `req.tokenHi/tokenLo` (and `req.hasToken`): from the user's routingKey, else from the
   * partition-key values of a prepared statement (bind metadata pk indexes, spec 4.2.5.4). Composite keys:
   * <u16 len><bytes><0> each.
   */
  computeToken(req: Request): boolean {
    const has = this.tokenOf(req);
    req.hasToken = has;
    if (has) {
      req.tokenHi = this.token[0]!;
      req.tokenLo = this.token[1]!;
    }
    return has;
  }

  private tokenOf(req: Request): boolean {
    const userKey = req.eo.getRoutingKey();
    if (userKey) {
      const rw = this.routingWriter;
      rw.reset();
      if (Buffer.isBuffer(userKey)) rw.raw(userKey);
      else if (!Array.isArray(userKey)) {
        // cassandra-driver's words (encoder.js setRoutingKeyFromUser).
        throw new TypeError(`Unexpected routingKey '${inspect(userKey)}' provided. Expected Buffer, Array<Buffer>, Token, or TokenRange.`);
      } else if (userKey.length === 1) rw.raw(userKey[0]!);
      else
        for (const c of userKey) {
          rw.u16(c.length);
          rw.raw(c);
          rw.u8(0);
        }
      fMurmur3(rw.buf, 0, rw.pos, this.token);
      return true;
    }
    const info = req.info;
    if (req.kind === RequestKind.Batch) {
      // Route a batch by its first prepared statement, as cassandra-driver does.
      const first = req.entries![0]!;
      if (first.id === null || info === null) return false;
      return this.tokenFromValues(info, first.values);
    }
    if (req.kind !== RequestKind.Execute || info === null) return false;
    return this.tokenFromValues(info, req.values);
  }

  private tokenFromValues(info: PreparedInfo, values: readonly unknown[] | null): boolean {
    const bind = info.bindMetadata;
    const pk = bind?.pkIndexes;
    if (!pk || pk.length === 0 || values === null) return false;
    const types = info.bindTypes;
    if (types === null) return false;
    const rw = this.routingWriter;
    rw.reset();
    if (pk.length === 1) {
      const i = pk[0]!;
      const v = values[i];
      if (v === null || v === undefined || v === UNSET || i >= types.length) return false;
      fWriteValue(rw, v, types[i]!, this.codec);
      const len = rw.pos - 4;
      if (len < 0) return false;
      fMurmur3(rw.buf, 4, len, this.token);
      return true;
    }
    const vw = this.valueWriter;
    for (let k = 0; k < pk.length; k++) {
      const i = pk[k]!;
      const v = values[i];
      if (v === null || v === undefined || v === UNSET || i >= types.length) return false;
      vw.reset();
      fWriteValue(vw, v, types[i]!, this.codec);
      const len = vw.pos - 4;
      if (len < 0) return false;
      rw.u16(len);
      rw.ensure(len + 1);
      vw.buf.copy(rw.buf, rw.pos, 4, vw.pos);
      rw.pos += len;
      rw.u8(0);
    }
    fMurmur3(rw.buf, 0, rw.pos, this.token);
    return true;
  }

  /** Whether a writer grew past MAX_KEPT_WRITER (then call releaseLargeBuffers once its bytes were handed over). */
  holdsLargeBuffer(): boolean {
    return this.writer.buf.length > MAX_KEPT_WRITER || this.routingWriter.buf.length > MAX_KEPT_WRITER;
  }

  /**
   * The shared writers back to their initial size when a request grew them past MAX_KEPT_WRITER (a blob of
   * hundreds of MB would otherwise stay allocated as long as the client lives). Call only when the writer's
   * bytes were handed over (engine.send copies them) or are abandoned (encoding failed).
   */
  releaseLargeBuffers(): void {
    this.writer.shrink(MAX_KEPT_WRITER, WRITER_SIZE);
    this.routingWriter.shrink(MAX_KEPT_WRITER, SCRATCH_SIZE);
    this.valueWriter.shrink(MAX_KEPT_WRITER, SCRATCH_SIZE);
  }

  /** releaseLargeBuffers when the body writer alone grew (after a send that threw, or a PREPARE). */
  releaseIfLarge(): void {
    if (this.writer.buf.length > MAX_KEPT_WRITER) this.releaseLargeBuffers();
  }
}
