/**
 * Answers into results: a RESULT frame into a ResultSet (rows, void, set keyspace, schema change) with its
 * side effects (the session keyspace, a statement's new result metadata, schema agreement and metadata after
 * DDL, ScyllaDB tablets), and an ERROR frame into its ResponseError.
 */
import {
  DriverInternalError,
  TABLETS_PAYLOAD_KEY,
  decodeError,
  decodeResult,
  opcodes,
  readResponsePrelude,
  type CodecOptions,
  type ColumnInfo,
  type ResponseError,
  type RowsMetadata,
} from '@shardcql/core';
import type { EngineAnswer } from '../engine/engine';
import type { PreparedInfo } from '../prepared-cache';
import { ResultSet, type ExecutionInfo } from '../result-set';
import type { ClientContext } from './context';
import { RequestKind, type Request } from './request';

/* Hot-path bindings resolved once (see encoder.ts). */
const OP_RESULT: number = opcodes.result;
const fReadPrelude = readResponsePrelude;
const fDecodeResult = decodeResult;
const fDecodeError = decodeError;

/** RESULT kinds (spec section 4.2.5). */
const RESULT_ROWS = 2;
const RESULT_SET_KEYSPACE = 3;
const RESULT_PREPARED = 4;
const RESULT_SCHEMA_CHANGE = 5;

/** Runs a request for the next page (the execution loop). */
export interface Pager {
  run(req: Request): Promise<ResultSet>;
}

/** What a PREPARED result says about a statement. */
export interface PreparedResult {
  id: Buffer;
  resultMetadataId: Buffer | null;
  bindMetadata: RowsMetadata;
  resultMetadata: RowsMetadata;
}

export class ResultDecoder {
  /** The negotiated protocol version (set once connected). */
  protocolVersion = 0;

  constructor(
    private readonly ctx: ClientContext,
    private readonly codec: CodecOptions,
  ) {}

  /** Decodes a RESULT frame into a ResultSet and applies its side effects (keyspace, metadata id, schema). */
  toResultSet(frame: EngineAnswer, address: string, req: Request, pager: Pager): ResultSet | Promise<ResultSet> {
    const body = frame.body;
    if (
      frame.flags === 0 &&
      frame.opcode === OP_RESULT &&
      body.length === 4 &&
      body[3] === 1 &&
      body[2] === 0 &&
      body[1] === 0 &&
      body[0] === 0
    ) {
      // VOID (every write) without tracing, warnings or payload: nothing to decode.
      return this.emptyResult(address, req);
    }
    const prelude = fReadPrelude(body, 0, body.length, frame.flags);
    if (frame.opcode !== OP_RESULT) throw new DriverInternalError(`Unexpected response opcode 0x${frame.opcode.toString(16)}`);
    const info = req.info;
    if (prelude.customPayload !== null && info !== null) this.noteTablet(info, prelude.customPayload);
    const known = req.kind === RequestKind.Execute && info !== null ? info.resultMetadata : null;
    const result = fDecodeResult(body, prelude.offset, body.length, this.protocolVersion, this.codec, known);
    const execInfo: ExecutionInfo = {
      queriedHost: address,
      triedHosts: req.triedHosts!,
      speculativeExecutions: 0,
      achievedConsistency: req.consistency,
      traceId: prelude.traceId,
      warnings: prelude.warnings,
      customPayload: prelude.customPayload,
      isSchemaInAgreement: true,
    };
    if (prelude.warnings !== null && !req.internal) {
      for (const warning of prelude.warnings) this.ctx.log('warning', `Received warning (${warning}) from ${address}`);
    }
    switch (result.kind) {
      case RESULT_ROWS:
        return this.rows(result, known, execInfo, req, pager);
      case RESULT_SET_KEYSPACE:
        return this.afterSetKeyspace(result.keyspace, new ResultSet(undefined, null, null, execInfo));
      case RESULT_SCHEMA_CHANGE:
        return this.afterSchemaChange(result.target, result.keyspace, result.name, new ResultSet(undefined, null, null, execInfo));
      default:
        return new ResultSet(undefined, null, null, execInfo);
    }
  }

  private rows(
    result: Extract<ReturnType<typeof decodeResult>, { kind: 2 }>,
    known: RowsMetadata | null,
    execInfo: ExecutionInfo,
    req: Request,
    pager: Pager,
  ): ResultSet {
    const meta = result.metadata;
    const info = req.info;
    if (meta.newMetadataId !== null && info !== null) {
      // v5 METADATA_CHANGED: the statement's result columns changed; remember the new id and columns.
      info.resultMetadataId = meta.newMetadataId;
      info.resultMetadata = meta;
    }
    const columns: ColumnInfo[] | null = meta.columns ?? known?.columns ?? null;
    const eo = req.eo;
    const rowCallback = eo.getRowCallback();
    let rs: ResultSet;
    if (rowCallback !== undefined) {
      const rows = result.rows;
      rs = new ResultSet(undefined, columns, meta.pagingState, execInfo);
      rs.rowLength = rows.length;
      for (let i = 0; i < rows.length; i++) rowCallback(i, rows[i]!);
    } else {
      rs = new ResultSet(result.rows, columns, meta.pagingState, execInfo);
    }
    if (meta.pagingState !== null && req.kind !== RequestKind.Batch) {
      rs.nextPageAsync = (pageState: Buffer): Promise<ResultSet> => {
        eo.setPageState(pageState);
        return pager.run(req.nextPage());
      };
    }
    return rs;
  }

  /** A result without rows: VOID, or an error the retry policy ignored. */
  emptyResult(address: string | undefined, req: Request): ResultSet {
    return new ResultSet(undefined, null, null, {
      queriedHost: address,
      triedHosts: req.triedHosts ?? {},
      speculativeExecutions: 0,
      achievedConsistency: req.consistency,
      traceId: null,
      warnings: null,
      customPayload: null,
      isSchemaInAgreement: true,
    });
  }

  /** The ResponseError of an ERROR frame. */
  error(frame: EngineAnswer): ResponseError {
    const body = frame.body;
    const prelude = fReadPrelude(body, 0, body.length, frame.flags);
    return fDecodeError(body, prelude.offset, body.length, this.protocolVersion);
  }

  /** The PREPARED result of a PREPARE's RESULT frame (DriverInternalError for another kind). */
  prepared(frame: EngineAnswer): PreparedResult {
    const body = frame.body;
    const prelude = fReadPrelude(body, 0, body.length, frame.flags);
    const result = fDecodeResult(body, prelude.offset, body.length, this.protocolVersion, this.codec, null);
    if (result.kind !== RESULT_PREPARED) throw new DriverInternalError(`Unexpected RESULT kind ${result.kind} for PREPARE`);
    return result;
  }

  /** USE: the session keyspace changes on every connection before the caller sees the result. */
  private async afterSetKeyspace(keyspace: string, rs: ResultSet): Promise<ResultSet> {
    this.ctx.keyspace = keyspace;
    try {
      await this.ctx.requireEngine().setKeyspace(keyspace);
    } catch (err) {
      this.ctx.log('warning', `Keyspace ${keyspace} could not be set on every connection`, err);
    }
    return rs;
  }

  /** DDL: wait for schema agreement (as cassandra-driver), then update the schema metadata. */
  private async afterSchemaChange(target: string, keyspace: string, name: string | null, rs: ResultSet): Promise<ResultSet> {
    const ctx = this.ctx;
    rs.info.isSchemaInAgreement = await ctx.waitForSchemaAgreement();
    if (ctx.options.isMetadataSyncEnabled !== false) {
      // Awaited, as cassandra-driver does: the caller's next metadata lookup sees the change.
      await ctx.metadata
        .onSchemaChange({ type: 'SCHEMA_CHANGE', target, keyspace, name })
        .catch((err: Error) => ctx.log('warning', 'There was an error while handling schema change', err));
    }
    return rs;
  }

  /**
   * ScyllaDB tablets: the request reached a node or shard that is not a replica of its tablet, and the
   * answer says which are (custom payload `tablets-routing-v1`, protocol-extensions.md).
   */
  private noteTablet(info: PreparedInfo, payload: Record<string, Buffer | null>): void {
    const value = payload[TABLETS_PAYLOAD_KEY];
    const engine = this.ctx.getEngine();
    if (value === undefined || value === null || engine === null || engine.noteTablet === undefined) return;
    const col = info.bindMetadata?.columns?.[0] ?? info.resultMetadata?.columns?.[0];
    if (col !== undefined) engine.noteTablet(col.ksname, col.tablename, value);
  }
}
