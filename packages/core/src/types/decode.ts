// Decoding: readValue (range-checked) and decodeValue (the row decoder's, unchecked) turn a [value]'s bytes into
// the JS value of its type; malformed bytes throw CodecError.
import { CodecError } from '../errors';
import { BigDecimal } from './big-decimal';
import type { CodecOptions } from './codec';
import { dataTypes, type DataType, type UdtInfo, type VectorInfo } from './data-type';
import { Duration } from './duration';
import { InetAddress } from './inet-address';
import { Integer, varintFromBytes } from './integer';
import { LocalDate } from './local-date';
import { LocalTime } from './local-time';
import { Long } from './long';
import { Tuple } from './tuple';
import { customTypeNames, getDataTypeNameByCode } from './type-name';
import { TimeUuid } from './time-uuid';
import { Uuid } from './uuid';
import { Vector } from './vector';
import { fixedValueLength, vectorOf } from './vector-layout';
import { readUnsignedVInt32, vintState } from './vint';

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
const MAX_TIME_NANOS = 86399999999999;

/** Types whose empty value is a value; an empty value of any other type decodes as null (as cassandra-driver). */
function emptyIsValue(code: number): boolean {
  return code === C_TEXT || code === C_VARCHAR || code === C_ASCII || code === C_BLOB || code === C_CUSTOM;
}

/**
 * Decodes `buf[off, off+len)` as `type` (the caller handles a null [value], length < 0). Never reads
 * outside that range; malformed bytes throw CodecError.
 */
export function readValue(buf: Buffer, off: number, len: number, type: DataType, opts: CodecOptions): unknown {
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) {
    throw new CodecError(`value range [${off}, ${off + len}) outside buffer of ${buf.length} bytes`);
  }
  return decode(buf, off, len, type, opts);
}

function fixed(len: number, expected: number, type: DataType): void {
  if (len !== expected) throw new CodecError(`${getDataTypeNameSafe(type)} value of ${len} bytes, expected ${expected}`);
}

function getDataTypeNameSafe(type: DataType): string {
  try {
    return getDataTypeNameByCode(type);
  } catch {
    return `type ${type.code}`;
  }
}

/** Up to this many bytes a JS loop copies faster than Buffer's native copy (measured: 16 bytes ~2x, 64 slower). */
const SMALL_COPY = 32;

function bufferOf(buf: Buffer, off: number, len: number, opts: CodecOptions): Buffer {
  if (!opts.copyBuffer) return buf.subarray(off, off + len);
  // allocUnsafe takes from Buffer's pool as Buffer.from(view) did, without the intermediate view object.
  const out = Buffer.allocUnsafe(len);
  if (len <= SMALL_COPY) {
    for (let k = 0; k < len; k++) out[k] = buf[off + k]!;
  } else {
    buf.copy(out, 0, off, off + len);
  }
  return out;
}

/**
 * readValue without the range check (exported as decodeValue), for a caller that has checked `off >= 0`,
 * `len >= 0` and `off + len <= buf.length` itself (the row decoder checks every cell against the message end).
 */
export { decode as decodeValue };

function decode(buf: Buffer, off: number, len: number, type: DataType, opts: CodecOptions): unknown {
  const code = type.code;
  if (len === 0 && !emptyIsValue(code)) return null;
  switch (code) {
    case C_INT:
      fixed(len, 4, type);
      return buf.readInt32BE(off);
    case C_BIGINT:
    case C_COUNTER:
      fixed(len, 8, type);
      if (opts.useBigIntAsLong) return buf.readBigInt64BE(off);
      return Long.fromBits(buf.readInt32BE(off + 4), buf.readInt32BE(off));
    case C_TEXT:
    case C_VARCHAR:
      return buf.toString('utf8', off, off + len);
    case C_ASCII:
      return buf.toString('ascii', off, off + len);
    case C_BLOB:
      return bufferOf(buf, off, len, opts);
    case C_BOOLEAN:
      fixed(len, 1, type);
      return buf[off] !== 0;
    case C_DOUBLE:
      fixed(len, 8, type);
      return buf.readDoubleBE(off);
    case C_FLOAT:
      fixed(len, 4, type);
      return buf.readFloatBE(off);
    case C_SMALLINT:
      fixed(len, 2, type);
      return buf.readInt16BE(off);
    case C_TINYINT:
      fixed(len, 1, type);
      return buf.readInt8(off);
    case C_TIMESTAMP:
      fixed(len, 8, type);
      return new Date(buf.readInt32BE(off) * TWO_32 + buf.readUInt32BE(off + 4));
    case C_UUID:
      fixed(len, 16, type);
      return new Uuid(bufferOf(buf, off, 16, opts));
    case C_TIMEUUID:
      fixed(len, 16, type);
      return new TimeUuid(bufferOf(buf, off, 16, opts));
    case C_LIST:
      return decodeList(buf, off, len, type.info as DataType, opts);
    case C_SET: {
      const arr = decodeList(buf, off, len, type.info as DataType, opts);
      return opts.set !== null ? new opts.set(arr) : arr;
    }
    case C_MAP:
      return decodeMap(buf, off, len, type.info as DataType[], opts);
    default:
      return decodeOther(buf, off, len, type, opts);
  }
}

/** decode's less common types: varint, decimal, inet, date, time, duration, udt, tuple and custom (vectors). */
function decodeOther(buf: Buffer, off: number, len: number, type: DataType, opts: CodecOptions): unknown {
  const code = type.code;
  switch (code) {
    case C_VARINT: {
      const v = varintFromBytes(buf, off, len);
      return opts.useBigIntAsVarint ? v : Integer.fromBigInt(v);
    }
    case C_DECIMAL:
      if (len < 4) throw new CodecError(`decimal value of ${len} bytes`);
      return new BigDecimal(Integer.fromBigInt(varintFromBytes(buf, off + 4, len - 4)), buf.readInt32BE(off));
    case C_INET:
      if (len !== 4 && len !== 16) throw new CodecError(`inet value of ${len} bytes`);
      return new InetAddress(bufferOf(buf, off, len, opts));
    case C_DATE:
      fixed(len, 4, type);
      return new LocalDate(buf.readUInt32BE(off) - DATE_CENTER);
    case C_TIME: {
      fixed(len, 8, type);
      const hi = buf.readInt32BE(off);
      const lo = buf.readUInt32BE(off + 4);
      if (hi < 0 || hi * TWO_32 + lo > MAX_TIME_NANOS) throw new CodecError('time value out of range');
      return new LocalTime(Long.fromBits(lo | 0, hi));
    }
    case C_DURATION:
      return Duration.decode(buf, off, off + len);
    case C_UDT:
      return decodeUdt(buf, off, len, type.info as UdtInfo, opts);
    case C_TUPLE:
      return decodeTuple(buf, off, len, type.info as DataType[], opts);
    case C_CUSTOM: {
      const vec = vectorOf(type);
      if (vec !== null) return decodeVector(buf, off, len, vec, opts);
      if (type.info === customTypeNames.duration) {
        if (len === 0) return null;
        return Duration.decode(buf, off, off + len);
      }
      return bufferOf(buf, off, len, opts);
    }
    default:
      throw new CodecError(`unknown data type code ${code}`);
  }
}

/** An i32 at `p`, which must lie before `end`. */
function readLength(buf: Buffer, p: number, end: number): number {
  if (p + 4 > end) throw new CodecError('truncated collection');
  return buf.readInt32BE(p);
}

function decodeList(buf: Buffer, off: number, len: number, sub: DataType, opts: CodecOptions): unknown[] {
  const end = off + len;
  const n = readLength(buf, off, end);
  // Each element takes at least its 4-byte length: a count beyond that is corrupt (and must not allocate).
  if (n < 0 || n > (len - 4) / 4) throw new CodecError(`bad collection size ${n}`);
  const out = new Array<unknown>(n);
  let p = off + 4;
  for (let i = 0; i < n; i++) {
    const l = readLength(buf, p, end);
    p += 4;
    if (l < 0) {
      out[i] = null;
      continue;
    }
    if (l > end - p) throw new CodecError('truncated collection element');
    out[i] = decode(buf, p, l, sub, opts);
    p += l;
  }
  return out;
}

function decodeMap(buf: Buffer, off: number, len: number, info: DataType[], opts: CodecOptions): unknown {
  const end = off + len;
  const n = readLength(buf, off, end);
  if (n < 0 || n > (len - 4) / 8) throw new CodecError(`bad map size ${n}`);
  const kt = info[0]!;
  const vt = info[1]!;
  const map = opts.map !== null ? new opts.map() : null;
  const obj: Record<string, unknown> | null = map === null ? {} : null;
  let p = off + 4;
  for (let i = 0; i < n; i++) {
    let l = readLength(buf, p, end);
    p += 4;
    let key: unknown = null;
    if (l >= 0) {
      if (l > end - p) throw new CodecError('truncated map key');
      key = decode(buf, p, l, kt, opts);
      p += l;
    }
    l = readLength(buf, p, end);
    p += 4;
    let val: unknown = null;
    if (l >= 0) {
      if (l > end - p) throw new CodecError('truncated map value');
      val = decode(buf, p, l, vt, opts);
      p += l;
    }
    if (map !== null) map.set(key, val);
    else obj![String(key)] = val;
  }
  return map !== null ? map : obj;
}

function decodeUdt(buf: Buffer, off: number, len: number, info: UdtInfo, opts: CodecOptions): Record<string, unknown> {
  const end = off + len;
  const out: Record<string, unknown> = {};
  const fields = info.fields;
  let p = off;
  // Fields missing at the end (the type gained fields after the value was written) are left out.
  for (let i = 0; i < fields.length && p < end; i++) {
    const l = readLength(buf, p, end);
    p += 4;
    if (l < 0) {
      out[fields[i]!.name] = null;
      continue;
    }
    if (l > end - p) throw new CodecError('truncated udt field');
    out[fields[i]!.name] = decode(buf, p, l, fields[i]!.type, opts);
    p += l;
  }
  return out;
}

function decodeTuple(buf: Buffer, off: number, len: number, info: DataType[], opts: CodecOptions): Tuple {
  if (info.length === 0) throw new CodecError('tuple type without elements');
  const end = off + len;
  const elements = new Array<unknown>(info.length);
  let p = off;
  for (let i = 0; i < info.length && p < end; i++) {
    const l = readLength(buf, p, end);
    p += 4;
    if (l < 0) {
      elements[i] = null;
      continue;
    }
    if (l > end - p) throw new CodecError('truncated tuple element');
    elements[i] = decode(buf, p, l, info[i]!, opts);
    p += l;
  }
  return Tuple.fromArray(elements);
}

function decodeVector(buf: Buffer, off: number, len: number, vec: VectorInfo, opts: CodecOptions): Vector {
  const dimension = vec.dimension;
  if (!(dimension > 0)) throw new CodecError(`bad vector dimension ${dimension}`);
  const sub = vec.subtype;
  const size = fixedValueLength(sub);
  const end = off + len;
  if (size >= 0 && len !== size * dimension) throw new CodecError(`vector of ${len} bytes, expected ${size * dimension}`);
  if (size < 0 && len < dimension) throw new CodecError(`vector of ${len} bytes for ${dimension} elements`);
  const out = new Array<unknown>(dimension);
  let p = off;
  if (sub.code === C_FLOAT) {
    for (let i = 0; i < dimension; i++, p += 4) out[i] = buf.readFloatBE(p);
    return new Vector(out, 'float');
  }
  for (let i = 0; i < dimension; i++) {
    let l = size;
    if (l < 0) {
      l = readUnsignedVInt32(buf, p, end);
      p = vintState.pos;
      if (l > end - p) throw new CodecError('Not enough bytes to decode the vector');
    }
    out[i] = decode(buf, p, l, sub, opts);
    p += l;
  }
  if (p !== end) throw new CodecError('Extra bytes found after decoding the vector');
  return new Vector(out, getDataTypeNameSafe(sub));
}
