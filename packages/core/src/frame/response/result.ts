import { ByteReader } from '../../bytes';
import { CodecError } from '../../errors';
import { readTypeSpec, Row } from '../../types';
import { skipString, skipTypeSpec } from '../../types/type-spec';
import type { CodecOptions, ColumnInfo } from '../../types';
import { decodeValue } from '../../types/decode';
import { setOwn } from './prelude';

// Bound once: a call through the barrel's re-export is a property getter per call in CommonJS output
// (profiled: ~17% of decoding 100 bigint rows went to that getter). The unchecked entry: decodeRows checks
// each cell against the message end before decoding it.
const decodeCell = decodeValue;

/** RESULT kinds (section 4.2.5). */
export const resultKinds = { void: 1, rows: 2, setKeyspace: 3, prepared: 4, schemaChange: 5 } as const;

/** <flags> of rows metadata (section 4.2.5.2); metadataChanged is v5. */
export const rowsFlags = { globalTablesSpec: 0x01, hasMorePages: 0x02, noMetadata: 0x04, metadataChanged: 0x08 } as const;

/**
 * Rows metadata (section 4.2.5.2), or the bind metadata of a PREPARED result (section 4.2.5.4).
 * `flags` is read as an unsigned 32-bit integer (ScyllaDB's LWT bit may be the top bit).
 * `columns` is null when the server sent No_metadata. `pkIndexes` only in bind metadata.
 */
export interface RowsMetadata {
  flags: number;
  columns: ColumnInfo[] | null;
  pagingState: Buffer | null;
  newMetadataId: Buffer | null;
  pkIndexes: number[] | null;
  columnCount: number;
}

export type ResultMessage =
  | { kind: 1 }
  | { kind: 2; metadata: RowsMetadata; rows: Row[] }
  | { kind: 3; keyspace: string }
  | { kind: 4; id: Buffer; resultMetadataId: Buffer | null; bindMetadata: RowsMetadata; resultMetadata: RowsMetadata }
  | { kind: 5; change: string; target: string; keyspace: string; name: string | null; argTypes: string[] | null };

const EMPTY = Buffer.alloc(0);
/** Decoding is synchronous: one reader serves every call and is emptied afterwards. */
const reader = new ByteReader(EMPTY, 0, 0);
const VOID_RESULT: { kind: 1 } = Object.freeze({ kind: 1 as const });

/**
 * Rows are built from a constructor whose prototype chains to Row.prototype and holds the non-enumerable
 * `__columns`: `instanceof Row`, get(), keys(), values() and forEach() behave as with `new Row`, but no
 * Object.defineProperty runs per row (measured on this box: `new Row` + 3 cells ~240 ns, this way ~21 ns).
 * Constructors are shared by column-name lists, so that rows of every result of a statement share one hidden
 * class (the row loop and the application's property reads stay monomorphic). Row methods only read the names
 * from `__columns`, which is why a row may carry the first-seen columns array of its name list.
 *
 * The constructor is generated for its name list (`this.pk = v[0]; this.v1 = v[1]; ...`, names as JSON string
 * literals where they are not identifiers): each column gets its own monomorphic store site and V8 sizes the
 * object for its columns, where one keyed store `row[name] = value` shared by every column went megamorphic
 * past four columns. Stores keep the order and semantics of `row[name] = value` (a repeated name: the last
 * value wins), except that a column named `__proto__` becomes an own property (setOwn) instead of replacing the
 * row's prototype. Where code generation is disabled (--disallow-code-generation-from-strings), a loop of
 * setOwn stores does the same, slower.
 */
type RowFactory = new (values: readonly unknown[]) => Row;
const factoriesByColumns = new WeakMap<readonly ColumnInfo[], RowFactory>();
const factoriesByNames = new Map<string, RowFactory>();
/** Bounds the name-keyed cache (ad hoc queries with generated aliases could otherwise grow it forever). */
const MAX_ROW_SHAPES = 1024;
/** The last columns array and its factory: a statement's pages skip the WeakMap lookup. */
let lastColumns: readonly ColumnInfo[] | null = null;
let lastFactory: RowFactory | null = null;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function rowFactoryFor(columns: readonly ColumnInfo[]): RowFactory {
  if (columns === lastColumns) return lastFactory!;
  let factory = factoriesByColumns.get(columns);
  if (factory === undefined) {
    let key = '';
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i]!.name;
      key += name.length + ':' + name; // length-prefixed: no two name lists share a key
    }
    factory = factoriesByNames.get(key);
    if (factory === undefined) {
      factory = newRowFactory(columns);
      if (factoriesByNames.size >= MAX_ROW_SHAPES) factoriesByNames.clear();
      factoriesByNames.set(key, factory);
    }
    factoriesByColumns.set(columns, factory);
  }
  lastColumns = columns;
  lastFactory = factory;
  return factory;
}

function newRowFactory(columns: readonly ColumnInfo[]): RowFactory {
  const proto: object = Object.create(Row.prototype);
  Object.defineProperty(proto, '__columns', { value: columns, enumerable: false, writable: false });
  let ctor: { prototype: object };
  try {
    let body = '';
    for (let j = 0; j < columns.length; j++) {
      const name = columns[j]!.name;
      if (name === '__proto__') body += `setOwn(this, "__proto__", v[${j}]);\n`;
      else body += (IDENTIFIER.test(name) ? `this.${name}` : `this[${JSON.stringify(name)}]`) + ` = v[${j}];\n`;
    }
    // Names only enter the source as identifiers (checked) or JSON string literals.
    ctor = new Function('setOwn', `return function DecodedRow(v) {\n${body}};`)(setOwn) as { prototype: object };
  } catch {
    const names = columns.map((c) => c.name);
    ctor = function DecodedRow(this: Record<string, unknown>, v: readonly unknown[]): void {
      for (let j = 0; j < names.length; j++) setOwn(this, names[j]!, v[j]);
    } as unknown as { prototype: object };
  }
  ctor.prototype = proto;
  return ctor as unknown as RowFactory;
}

/** One row's cell values between decoding and the row constructor (decoding is synchronous); emptied after. */
const cellValues: unknown[] = [];

/** A row of zero columns takes no bytes: bound how many such rows a body may claim. */
const MAX_ZERO_WIDTH_ROWS = 65536;

/**
 * Decodes a RESULT body (from the start of the message, after the prelude). Rows are decoded straight from
 * `body` into Row objects (values as own properties named after the columns, as `cassandra-driver` does), with
 * `codec` deciding value mappings and whether blobs are copied. Identifiers, paging states and metadata ids are
 * always copied, since the receive buffer is reused. `knownMetadata` supplies the columns when the server
 * skipped them (No_metadata, after Skip_metadata in EXECUTE). Malformed bodies throw CodecError.
 */
export function decodeResult(
  body: Buffer,
  start: number,
  end: number,
  version: number,
  codec: CodecOptions,
  knownMetadata: RowsMetadata | null,
): ResultMessage {
  const r = reader;
  r.reset(body, start, end);
  try {
    const kind = r.i32();
    switch (kind) {
      case 1:
        return VOID_RESULT;
      case 2:
        return decodeRows(r, codec, knownMetadata);
      case 3:
        return { kind: 3, keyspace: r.string() };
      case 4: {
        const id = Buffer.from(r.shortBytes());
        const resultMetadataId = version >= 5 ? Buffer.from(r.shortBytes()) : null;
        const bindMetadata = readMetadata(r, true);
        const resultMetadata = readMetadata(r, false);
        return { kind: 4, id, resultMetadataId, bindMetadata, resultMetadata };
      }
      case 5:
        return decodeSchemaChange(r);
      default:
        throw new CodecError(`unknown RESULT kind ${kind}`);
    }
  } finally {
    r.reset(EMPTY, 0, 0);
  }
}

/**
 * <flags><columns_count>[<pk_count><pk_index_i>... (bind metadata)][<paging_state>][<new_metadata_id>]
 * [<global_table_spec>?<col_spec_i>...] (sections 4.2.5.2 and 4.2.5.4).
 */
function readMetadata(r: ByteReader, isBindMetadata: boolean): RowsMetadata {
  const flags = r.u32();
  const columnCount = r.i32();
  // Each column spec takes at least a [string] and an [option] id: bound the count before allocating.
  if (columnCount < 0) throw new CodecError(`negative column count ${columnCount}`);
  let pkIndexes: number[] | null = null;
  let pagingState: Buffer | null = null;
  let newMetadataId: Buffer | null = null;
  if (isBindMetadata) {
    const pkCount = r.i32();
    if (pkCount < 0 || pkCount * 2 > r.end - r.pos) throw new CodecError(`bad partition key count ${pkCount}`);
    pkIndexes = new Array<number>(pkCount);
    for (let i = 0; i < pkCount; i++) pkIndexes[i] = r.u16();
  } else {
    if ((flags & rowsFlags.hasMorePages) !== 0) {
      const state = r.bytes();
      pagingState = state === null ? null : Buffer.from(state);
    }
    if ((flags & rowsFlags.metadataChanged) !== 0) newMetadataId = Buffer.from(r.shortBytes());
  }
  let columns: ColumnInfo[] | null = null;
  if ((flags & rowsFlags.noMetadata) === 0) {
    if (columnCount * 4 > r.end - r.pos) throw new CodecError(`column count ${columnCount} exceeds the message`);
    const global = (flags & rowsFlags.globalTablesSpec) !== 0;
    columns = isBindMetadata ? readColumnSpecs(r, columnCount, global) : cachedColumnSpecs(r, columnCount, global);
  }
  return { flags, columns, pagingState, newMetadataId, pkIndexes, columnCount };
}

/** [<global_table_spec>]<col_spec_i>... (section 4.2.5.2). */
function readColumnSpecs(r: ByteReader, columnCount: number, global: boolean): ColumnInfo[] {
  let ksname = '';
  let tablename = '';
  if (global) {
    ksname = r.string();
    tablename = r.string();
  }
  const columns = new Array<ColumnInfo>(columnCount);
  for (let i = 0; i < columnCount; i++) {
    if (!global) {
      ksname = r.string();
      tablename = r.string();
    }
    const name = r.string();
    columns[i] = { ksname, tablename, name, type: readTypeSpec(r) };
  }
  return columns;
}

/**
 * Column specs of results that carry them (QUERY results, pages without Skip_metadata), by their bytes: the
 * results of a statement repeat the same specs, and building them (strings, type objects, then the row shape
 * lookup by names) cost ~6x the decoding of a 1-row result (measured: 3.3 us against 0.57 us per response).
 * The key is the spec bytes as a latin1 string (plus the count and the global flag, which steer the parse),
 * found by skipping the specs without building anything. Results of a statement then share one columns
 * array, as results of a prepared statement share its known columns.
 */
const columnsBySpecs = new Map<string, ColumnInfo[]>();
/** Bounds the cache (ad hoc queries could otherwise grow it forever); larger specs are not cached. */
const MAX_CACHED_SPECS = 256;
const MAX_CACHED_SPEC_BYTES = 16384;

function cachedColumnSpecs(r: ByteReader, columnCount: number, global: boolean): ColumnInfo[] {
  const start = r.pos;
  if (global) {
    skipString(r);
    skipString(r);
  }
  for (let i = 0; i < columnCount; i++) {
    if (!global) {
      skipString(r);
      skipString(r);
    }
    skipString(r);
    skipTypeSpec(r);
  }
  const end = r.pos;
  if (end - start > MAX_CACHED_SPEC_BYTES) {
    r.pos = start;
    return readColumnSpecs(r, columnCount, global);
  }
  const key = (global ? 'g' : 't') + columnCount + ':' + r.buf.toString('latin1', start, end);
  let columns = columnsBySpecs.get(key);
  if (columns === undefined) {
    r.pos = start;
    columns = readColumnSpecs(r, columnCount, global);
    if (columnsBySpecs.size >= MAX_CACHED_SPECS) columnsBySpecs.clear();
    columnsBySpecs.set(key, columns);
  }
  r.pos = end;
  return columns;
}

/** The columns of `known` for rows sent with No_metadata; CodecError when there are none or not `columnCount`. */
function knownColumns(known: RowsMetadata | null, columnCount: number): ColumnInfo[] {
  const columns = known === null ? null : known.columns;
  if (columns === null) throw new CodecError('rows without metadata and no known metadata to decode them');
  if (columns.length !== columnCount) {
    throw new CodecError(`rows have ${columnCount} columns, the known metadata ${columns.length}`);
  }
  return columns;
}

/**
 * The metadata of a page that carried flags No_metadata only: the same frozen object for every such page of
 * a statement (per known metadata), instead of a new one per response.
 */
const noMetadataByKnown = new WeakMap<RowsMetadata, RowsMetadata>();
let lastKnown: RowsMetadata | null = null;
let lastNoMetadata: RowsMetadata | null = null;

function noMetadataFor(known: RowsMetadata, columnCount: number): RowsMetadata {
  let m = known === lastKnown ? lastNoMetadata! : noMetadataByKnown.get(known);
  if (m === undefined || m.columns !== known.columns) {
    const columns = knownColumns(known, columnCount);
    m = Object.freeze({ flags: rowsFlags.noMetadata, columns, pagingState: null, newMetadataId: null, pkIndexes: null, columnCount });
    noMetadataByKnown.set(known, m);
  } else if (m.columnCount !== columnCount) {
    knownColumns(known, columnCount); // throws: the server sent another column count
  }
  lastKnown = known;
  lastNoMetadata = m;
  return m;
}

/** <metadata><rows_count><rows_content>: rows_count * columns_count [bytes] cells (section 4.2.5.2). */
function decodeRows(r: ByteReader, codec: CodecOptions, knownMetadata: RowsMetadata | null): ResultMessage {
  let metadata: RowsMetadata;
  if (knownMetadata !== null && r.end - r.pos >= 8 && r.buf.readInt32BE(r.pos) === rowsFlags.noMetadata) {
    // The common page of an EXECUTE with Skip_metadata: flags No_metadata alone, no paging state.
    metadata = noMetadataFor(knownMetadata, r.buf.readInt32BE(r.pos + 4));
    r.pos += 8;
  } else {
    metadata = readMetadata(r, false);
    if (metadata.columns === null) metadata.columns = knownColumns(knownMetadata, metadata.columnCount);
  }
  const columnCount = metadata.columnCount;
  const columns = metadata.columns!;
  const rowCount = r.i32();
  if (rowCount < 0) throw new CodecError(`negative row count ${rowCount}`);
  if (rowCount === 0) return { kind: 2, metadata, rows: [] };
  // Every cell takes at least its 4-byte length: a count the body cannot hold is corrupt.
  if (columnCount === 0 ? rowCount > MAX_ZERO_WIDTH_ROWS : rowCount * columnCount * 4 > r.end - r.pos) {
    throw new CodecError(`row count ${rowCount} exceeds the message`);
  }
  const buf = r.buf;
  const end = r.end;
  let pos = r.pos;
  const rows = new Array<Row>(rowCount);
  const RowOfColumns = rowFactoryFor(columns);
  const values = cellValues;
  try {
    for (let i = 0; i < rowCount; i++) {
      for (let j = 0; j < columnCount; j++) {
        if (pos + 4 > end) throw new CodecError(`truncated row ${i}`);
        const len = buf.readInt32BE(pos);
        pos += 4;
        if (len < 0) {
          values[j] = null;
        } else {
          if (len > end - pos) throw new CodecError(`cell of ${len} bytes in row ${i} exceeds the message`);
          values[j] = decodeCell(buf, pos, len, columns[j]!.type, codec);
          pos += len;
        }
      }
      rows[i] = new RowOfColumns(values);
    }
  } finally {
    // Do not keep the last row's values (blobs may be views of the receive buffer) alive.
    for (let j = 0; j < columnCount; j++) values[j] = undefined;
  }
  r.pos = pos;
  return { kind: 2, metadata, rows };
}

/** <change_type><target><options> (section 4.2.6, SCHEMA_CHANGE). */
function decodeSchemaChange(r: ByteReader): ResultMessage {
  const change = r.string();
  const target = r.string();
  const keyspace = r.string();
  let name: string | null = null;
  let argTypes: string[] | null = null;
  switch (target) {
    case 'TABLE':
    case 'TYPE':
      name = r.string();
      break;
    case 'FUNCTION':
    case 'AGGREGATE':
      name = r.string();
      argTypes = r.stringList();
      break;
    default:
      // KEYSPACE, or a target of a later protocol: nothing more we know how to read.
      break;
  }
  return { kind: 5, change, target, keyspace, name, argTypes };
}
