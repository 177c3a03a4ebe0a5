// Encoding (spec section 6: the [bytes] of each type): writeValue writes one [value], length then bytes.
import { inspect } from 'node:util';
import type { ByteWriter } from '../bytes';
import { BigDecimal } from './big-decimal';
import type { CodecOptions } from './codec';
import { dataTypes, type DataType, type UdtInfo, type VectorInfo } from './data-type';
import { Duration } from './duration';
import { guessDataType } from './guess';
import { InetAddress } from './inet-address';
import { Integer, varintByteLength, writeVarintBytes } from './integer';
import { LocalDate } from './local-date';
import { LocalTime } from './local-time';
import { Long } from './long';
import { Tuple } from './tuple';
import { customTypeNames } from './type-name';
import { parseUuidInto, Uuid } from './uuid';
import { unset } from './values';
import { Vector } from './vector';
import { fixedValueLength, vectorOf } from './vector-layout';
import { writeUnsignedVInt } from './vint';

// Type codes as module constants, so the switches compare against constants (spec 4.2.5.2).
const C_ASCII = dataTypes.ascii;
const C_BIGINT = dataTypes.bigint;
const C_BLOB = dataTypes.blob;
const C_BOOLEAN = dataTypes.boolean;
const C_COUNTER = dataTypes.counter;
const C_CUSTOM = dataTypes.custom;
const C_DATE = dataTypes.date;
const C_DECIMAL = dataTypes.decimal;
const C_DOUBLE = dataTypes.double;
const C_DURATION = dataTypes.duration;
const C_FLOAT = dataTypes.float;
const C_INET = dataTypes.inet;
const C_INT = dataTypes.int;
const C_LIST = dataTypes.list;
const C_MAP = dataTypes.map;
const C_SET = dataTypes.set;
const C_SMALLINT = dataTypes.smallint;
const C_TEXT = dataTypes.text;
const C_TIME = dataTypes.time;
const C_TIMESTAMP = dataTypes.timestamp;
const C_TIMEUUID = dataTypes.timeuuid;
const C_TINYINT = dataTypes.tinyint;
const C_TUPLE = dataTypes.tuple;
const C_UDT = dataTypes.udt;
const C_UUID = dataTypes.uuid;
const C_VARCHAR = dataTypes.varchar;
const C_VARINT = dataTypes.varint;

const TWO_32 = 4294967296;
const DATE_CENTER = 2147483648;

/** `what` ends as cassandra-driver's message does before the value (encoder.js: some with a comma, some without). */
function typeError(what: string, value: unknown): TypeError {
  return new TypeError(`${what} ${inspect(value)}`);
}

/**
 * Writes `value` as a [value] (spec section 3): an i32 length then the bytes. null is length -1; undefined
 * is -1, or -2 (`unset`) with `useUndefinedAsUnset`; `unset` is -2. A Buffer is taken as already-encoded
 * bytes, whatever the type (as `cassandra-driver` does). An empty list or set is sent as null, as that
 * driver does. Throws TypeError (RangeError for out-of-range integers) for values the type cannot take.
 */
export function writeValue(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  if (value === null) return w.i32(-1);
  if (value === undefined) return w.i32(opts.useUndefinedAsUnset ? -2 : -1);
  if (value === unset) return w.i32(-2);
  const code = type.code;
  // Fast paths for the common scalar cases: write length and bytes straight into the buffer.
  switch (code) {
    case C_INT:
      if (typeof value === 'number' && (value | 0) === value) {
        w.ensure(8);
        const b = w.buf;
        const p = w.pos;
        b[p] = 0;
        b[p + 1] = 0;
        b[p + 2] = 0;
        b[p + 3] = 4;
        b[p + 4] = value >>> 24;
        b[p + 5] = value >>> 16;
        b[p + 6] = value >>> 8;
        b[p + 7] = value;
        w.pos = p + 8;
        return;
      }
      break;
    case C_BIGINT:
    case C_COUNTER:
      if (typeof value === 'number' && Number.isSafeInteger(value)) {
        return writeI64Value(w, Math.floor(value / TWO_32), value >>> 0);
      }
      if (Long.isLong(value)) return writeI64Value(w, value.high, value.low);
      break;
    case C_DOUBLE:
      if (typeof value === 'number') {
        w.ensure(12);
        w.buf.writeInt32BE(8, w.pos);
        w.buf.writeDoubleBE(value, w.pos + 4);
        w.pos += 12;
        return;
      }
      break;
    case C_TEXT:
    case C_VARCHAR:
      if (typeof value === 'string') {
        const p = w.pos;
        writeUtf8(w, value, 4);
        w.buf.writeInt32BE(w.pos - p - 4, p);
        return;
      }
      break;
    case C_LIST:
    case C_SET:
      if (isEmptyCollection(value, opts)) return w.i32(-1);
      break;
  }
  if (value instanceof Uint8Array) {
    w.bytes(value);
    return;
  }
  const start = w.pos;
  w.i32(0);
  writeBody(w, value, type, opts);
  w.patchI32(start, w.pos - start - 4);
}

function writeI64Value(w: ByteWriter, hi: number, lo: number): void {
  w.ensure(12);
  const b = w.buf;
  const p = w.pos;
  b[p] = 0;
  b[p + 1] = 0;
  b[p + 2] = 0;
  b[p + 3] = 8;
  b[p + 4] = hi >>> 24;
  b[p + 5] = hi >>> 16;
  b[p + 6] = hi >>> 8;
  b[p + 7] = hi;
  b[p + 8] = lo >>> 24;
  b[p + 9] = lo >>> 16;
  b[p + 10] = lo >>> 8;
  b[p + 11] = lo;
  w.pos = p + 12;
}

function isEmptyCollection(value: unknown, opts: CodecOptions): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (opts.set !== null && value instanceof opts.set) return (value as { size?: number }).size === 0;
  return value instanceof Set && value.size === 0;
}

/** UTF-8 of `s` at `w.pos + skip` (room for a length prefix), advancing `w.pos` past it. */
function writeUtf8(w: ByteWriter, s: string, skip: number): void {
  // A UTF-16 unit never takes more than 3 UTF-8 bytes; past 16 KiB, measure rather than over-reserve.
  const max = s.length <= 16384 ? s.length * 3 : Buffer.byteLength(s, 'utf8');
  w.ensure(skip + max);
  const n = max === 0 ? 0 : w.buf.write(s, w.pos + skip, 'utf8');
  w.pos += skip + n;
}

/** Writes `value` (not null) as the bytes of `type`, without a length prefix. */
function writeBody(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  if (value instanceof Uint8Array) {
    w.raw(value);
    return;
  }
  switch (type.code) {
    case C_ASCII:
      if (typeof value !== 'string') throw typeError('Not a valid text value, expected String obtained', value);
      w.ensure(value.length);
      w.pos += w.buf.write(value, w.pos, 'latin1');
      return;
    case C_TEXT:
    case C_VARCHAR:
      if (typeof value !== 'string') throw typeError('Not a valid text value, expected String obtained', value);
      writeUtf8(w, value, 0);
      return;
    case C_BLOB:
      throw typeError('Not a valid blob, expected Buffer obtained', value);
    case C_BOOLEAN:
      w.u8(value ? 1 : 0);
      return;
    case C_INT:
      w.i32(toInteger(value, -2147483648, 2147483647));
      return;
    case C_SMALLINT:
      w.i16(toInteger(value, -32768, 32767));
      return;
    case C_TINYINT:
      w.u8(toInteger(value, -128, 127) & 0xff);
      return;
    case C_BIGINT:
    case C_COUNTER:
      writeLong(w, value, opts);
      return;
    case C_TIMESTAMP:
      writeTimestamp(w, value, opts);
      return;
    case C_FLOAT:
      w.f32(toFloat(value));
      return;
    case C_DOUBLE:
      w.f64(toFloat(value));
      return;
    case C_DECIMAL:
      writeDecimal(w, value);
      return;
    case C_VARINT:
      writeVarint(w, toVarint(value, opts));
      return;
    case C_UUID:
    case C_TIMEUUID:
      writeUuid(w, value);
      return;
    case C_LIST:
    case C_SET:
      writeList(w, value, type, opts);
      return;
    case C_MAP:
      writeMap(w, value, type, opts);
      return;
    default:
      writeOtherBody(w, value, type, opts);
  }
}

/** writeBody's less common types: inet, date, time, duration, udt, tuple and custom (vectors). */
function writeOtherBody(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  switch (type.code) {
    case C_INET:
      writeInet(w, value);
      return;
    case C_DATE:
      writeDate(w, value);
      return;
    case C_TIME:
      writeTime(w, value);
      return;
    case C_DURATION:
      if (!(value instanceof Duration)) throw typeError('Not a valid duration, expected Duration/Buffer obtained', value);
      value.writeTo(w);
      return;
    case C_UDT:
      writeUdt(w, value, type, opts);
      return;
    case C_TUPLE:
      writeTuple(w, value, type, opts);
      return;
    case C_CUSTOM:
      writeCustom(w, value, type, opts);
      return;
    default:
      throw new TypeError(`Type not supported ${type.code}`);
  }
}

/** int/smallint/tinyint: coerced as Node's Buffer writers do (truncation; RangeError out of range). */
function toInteger(value: unknown, min: number, max: number): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else {
    n = typeof value === 'symbol' ? NaN : Number(value);
  }
  if (Number.isNaN(n)) throw typeError('Expected Number, obtained', value);
  if (n > max || n < min) {
    // Node's own RangeError (code ERR_OUT_OF_RANGE, its number format), which cassandra-driver's writers throw.
    const b = Buffer.alloc(4);
    if (max === 0x7fffffff) b.writeInt32BE(n);
    else if (max === 0x7fff) b.writeInt16BE(n);
    else b.writeInt8(n);
    throw new RangeError(`The value of "value" is out of range. It must be >= ${min} and <= ${max}. Received ${n}`);
  }
  return Math.trunc(n);
}

function toFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const n = parseFloat(value);
    if (Number.isNaN(n)) throw typeError('Expected string representation of a number, obtained', value);
    return n;
  }
  throw typeError('Expected Number, obtained', value);
}

/** bigint/counter: Long, number, bigint or a decimal string; 64 bits written as two int32 halves. */
function writeLong(w: ByteWriter, value: unknown, opts: CodecOptions): void {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return w.i64(Math.floor(value / TWO_32), value >>> 0);
    const l = Long.fromNumber(value);
    return w.i64(l.high, l.low);
  }
  if (Long.isLong(value)) return w.i64(value.high, value.low);
  if (typeof value === 'bigint') return writeBigInt64(w, value);
  if (typeof value === 'string') {
    if (opts.useBigIntAsLong) return writeBigInt64(w, BigInt(value));
    const l = Long.fromString(value);
    return w.i64(l.high, l.low);
  }
  throw typeError('Not a valid bigint, expected Long/Number/String/Buffer, obtained', value);
}

function writeBigInt64(w: ByteWriter, v: bigint): void {
  w.i64(Number(BigInt.asIntN(32, v >> 32n)), Number(BigInt.asUintN(32, v)));
}

function writeTimestamp(w: ByteWriter, value: unknown, opts: CodecOptions): void {
  let v = value;
  if (typeof v === 'string') v = new Date(v);
  if (v instanceof Date) {
    v = v.getTime();
    if (Number.isNaN(v)) throw new TypeError(`Invalid date: ${String(value)}`);
  }
  writeLong(w, v, opts);
}

function toVarint(value: unknown, opts: CodecOptions): bigint {
  if (typeof value === 'bigint') return value;
  if (value instanceof Integer) return value.toBigInt();
  if (typeof value === 'number') return Integer.fromNumber(value).toBigInt();
  if (typeof value === 'string') return opts.useBigIntAsVarint ? BigInt(value) : Integer.fromString(value).toBigInt();
  throw typeError('Not a valid varint, expected Integer/Number/String/Buffer, obtained', value);
}

function writeVarint(w: ByteWriter, v: bigint): void {
  const len = varintByteLength(v);
  w.ensure(len);
  writeVarintBytes(v, w.buf, w.pos, len);
  w.pos += len;
}

function writeDecimal(w: ByteWriter, value: unknown): void {
  let d = value;
  if (typeof d === 'number') d = BigDecimal.fromNumber(d);
  else if (typeof d === 'string') d = BigDecimal.fromString(d);
  if (!(d instanceof BigDecimal)) throw typeError('Not a valid varint, expected BigDecimal/Number/String/Buffer, obtained', value);
  w.i32(d._scale);
  writeVarint(w, d._intVal.toBigInt());
}

function writeUuid(w: ByteWriter, value: unknown): void {
  if (typeof value === 'string') {
    w.ensure(16);
    if (!parseUuidInto(value, w.buf, w.pos)) {
      throw new TypeError('Invalid string representation of Uuid, it should be in the 00000000-0000-0000-0000-000000000000');
    }
    w.pos += 16;
    return;
  }
  if (value instanceof Uuid) {
    w.raw(value.buffer);
    return;
  }
  throw typeError('Not a valid Uuid, expected Uuid/String/Buffer, obtained', value);
}

function writeInet(w: ByteWriter, value: unknown): void {
  const v = typeof value === 'string' ? InetAddress.fromString(value) : value;
  if (v instanceof InetAddress) {
    w.raw(v.buffer);
    return;
  }
  throw typeError('Not a valid Inet, expected InetAddress/Buffer, obtained', value);
}

function writeDate(w: ByteWriter, value: unknown): void {
  let v = value;
  try {
    if (typeof v === 'string') v = LocalDate.fromString(v);
    if (v instanceof Date) v = LocalDate.fromDate(v);
  } catch (err) {
    throw new TypeError(`LocalDate could not be parsed ${String(err)}`);
  }
  if (!(v instanceof LocalDate)) throw typeError('Expected Date/String/LocalDate, obtained', value);
  w.u32((v.daysSinceEpoch() + DATE_CENTER) >>> 0);
}

function writeTime(w: ByteWriter, value: unknown): void {
  let v = value;
  try {
    if (typeof v === 'string') v = LocalTime.fromString(v);
  } catch (err) {
    throw new TypeError(`LocalTime could not be parsed ${String(err)}`);
  }
  if (!(v instanceof LocalTime)) throw typeError('Expected String/LocalTime, obtained', value);
  w.i64(v.value.high, v.value.low);
}

/** The element type of a list/set; a list guessed from an Array has none, so each element is guessed. */
function elementType(value: unknown, t: DataType | null | undefined): DataType {
  if (t) return t;
  const g = guessDataType(value);
  if (g === null) {
    throw typeError('Target data type could not be guessed, you should use prepared statements for accurate type mapping. Value:', value);
  }
  return g;
}

/** A collection element: i32 length then bytes (spec section 6.4: v3+ collections use [int] lengths). */
function writeElement(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  const start = w.pos;
  w.i32(0);
  writeBody(w, value, type, opts);
  w.patchI32(start, w.pos - start - 4);
}

function writeList(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  let items: readonly unknown[];
  if (Array.isArray(value)) items = value;
  else if ((opts.set !== null && value instanceof opts.set) || value instanceof Set) items = Array.from(value as Iterable<unknown>);
  else throw typeError('Not a valid list value, expected Array obtained', value);
  const sub = type.info as DataType | null;
  w.i32(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === null || item === undefined || item === unset) throw new TypeError("A collection can't contain null or unset values");
    writeElement(w, item, elementType(item, sub), opts);
  }
}

function writeMap(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  if (value === null || typeof value !== 'object') throw typeError('Not a valid map value, expected Object or Map, obtained', value);
  const info = type.info as DataType[] | null;
  const countAt = w.pos;
  w.i32(0);
  let count = 0;
  if ((opts.map !== null && value instanceof opts.map) || value instanceof Map) {
    for (const [key, val] of value as Map<unknown, unknown>) {
      writeMapEntry(w, key, val, info, opts);
      count++;
    }
  } else {
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      writeMapEntry(w, key, obj[key], info, opts);
      count++;
    }
  }
  w.patchI32(countAt, count);
}

/** One key and value; `info` is the map's [key type, value type], or null when guessed from the value. */
function writeMapEntry(w: ByteWriter, key: unknown, val: unknown, info: DataType[] | null, opts: CodecOptions): void {
  if (key === null || key === undefined || key === unset) throw new TypeError("A map can't contain null or unset keys");
  if (val === null || val === undefined || val === unset) throw new TypeError("A map can't contain null or unset values");
  writeElement(w, key, elementType(key, info ? info[0] : null), opts);
  writeElement(w, val, elementType(val, info ? info[1] : null), opts);
}

function writeUdt(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  if (value === null || typeof value !== 'object') throw typeError('Not a valid udt value, expected Object, obtained', value);
  const fields = (type.info as UdtInfo).fields;
  const obj = value as Record<string, unknown>;
  for (let i = 0; i < fields.length; i++) writeValue(w, obj[fields[i]!.name], fields[i]!.type, opts);
}

function writeTuple(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  let elements: readonly unknown[];
  if (value instanceof Tuple) elements = value.elements;
  else if (Array.isArray(value)) elements = value;
  else throw typeError('Not a valid tuple value, expected Tuple, obtained', value);
  const info = type.info as DataType[] | null;
  // As cassandra-driver: only as many elements as both the type and the value have.
  const n = info === null ? elements.length : Math.min(info.length, elements.length);
  for (let i = 0; i < n; i++) {
    const e = elements[i];
    writeValue(w, e, info === null ? elementType(e, null) : info[i]!, opts);
  }
}

function writeCustom(w: ByteWriter, value: unknown, type: DataType, opts: CodecOptions): void {
  const vec = vectorOf(type);
  if (vec !== null) return writeVector(w, value, vec, opts);
  if (type.info === customTypeNames.duration) {
    if (!(value instanceof Duration)) throw typeError('Not a valid duration, expected Duration/Buffer obtained', value);
    return value.writeTo(w);
  }
  throw new TypeError(`No encoding handler found for type ${getTypeLabel(type)}`);
}

function getTypeLabel(type: DataType): string {
  return typeof type.info === 'string' ? type.info : String(type.code);
}

/** Vector (Cassandra 5 VectorType): fixed-size elements back to back; others each after an [unsigned vint] length. */
function writeVector(w: ByteWriter, value: unknown, vec: VectorInfo, opts: CodecOptions): void {
  let items: ArrayLike<unknown>;
  if (value instanceof Float32Array) items = value;
  else if (value instanceof Vector) items = (value as Vector).elements;
  else if (Array.isArray(value)) items = value;
  else throw new TypeError('Driver only supports Vector type when encoding a vector');
  const dimension = vec.dimension;
  if (items.length !== dimension) {
    throw new TypeError(`Expected vector with ${dimension} dimensions, observed size of ${items.length}`);
  }
  if (items.length === 0) throw new TypeError('Cannot encode empty array as vector');
  const sub = vec.subtype;
  if (sub.code === C_FLOAT && items instanceof Float32Array) {
    w.ensure(4 * dimension);
    for (let i = 0; i < dimension; i++) {
      w.buf.writeFloatBE(items[i]!, w.pos);
      w.pos += 4;
    }
    return;
  }
  const fixed = fixedValueLength(sub);
  for (let i = 0; i < dimension; i++) {
    const e = items[i];
    if (e === null || e === undefined || e === unset) throw new TypeError("A vector can't contain null or unset values");
    const start = w.pos;
    writeBody(w, e, sub, opts);
    const len = w.pos - start;
    if (fixed >= 0) {
      if (len !== fixed) throw new TypeError(`Vector element of ${len} bytes, expected ${fixed}`);
      continue;
    }
    // The length goes before the element: shift the element right by the size of its vint.
    const lenSize = len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : len < 0x10000000 ? 4 : 5;
    w.ensure(lenSize);
    w.buf.copyWithin(start + lenSize, start, start + len);
    w.pos = start;
    writeUnsignedVInt(w, len);
    w.pos = start + lenSize + len;
  }
}
