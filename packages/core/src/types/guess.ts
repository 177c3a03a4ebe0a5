import { dataTypes, type DataType } from './data-type';
import { BigDecimal } from './big-decimal';
import { Duration } from './duration';
import { InetAddress } from './inet-address';
import { Integer } from './integer';
import { LocalDate } from './local-date';
import { LocalTime } from './local-time';
import { Long } from './long';
import { Tuple } from './tuple';
import { customTypeNames, parseTypeName, vectorType } from './type-name';
import { Uuid } from './uuid';
import { Vector } from './vector';

const uuidRegex = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Shared descriptors for guessed types: guessing happens per value, so it must not allocate.
const simple = (code: number): DataType => Object.freeze({ code, info: null }) as DataType;
const T_DOUBLE = simple(dataTypes.double);
const T_UUID = simple(dataTypes.uuid);
const T_TEXT = simple(dataTypes.text);
const T_BOOLEAN = simple(dataTypes.boolean);
const T_BLOB = simple(dataTypes.blob);
const T_TIMESTAMP = simple(dataTypes.timestamp);
const T_BIGINT = simple(dataTypes.bigint);
const T_VARINT = simple(dataTypes.varint);
const T_DECIMAL = simple(dataTypes.decimal);
const T_INET = simple(dataTypes.inet);
const T_DATE = simple(dataTypes.date);
const T_TIME = simple(dataTypes.time);
const T_LIST = simple(dataTypes.list);
const T_DURATION = Object.freeze({ code: dataTypes.custom, info: customTypeNames.duration }) as DataType;
const T_FLOAT = simple(dataTypes.float);

/**
 * The CQL type `cassandra-driver`'s `Encoder.guessDataType` infers for a parameter of an unprepared query
 * without a hint: number -> double, string -> text (uuid when it reads as one), boolean, Buffer -> blob,
 * Date -> timestamp, Long -> bigint, Integer -> varint, BigDecimal -> decimal, Uuid/TimeUuid -> uuid,
 * InetAddress -> inet, Tuple -> tuple, LocalDate -> date, LocalTime -> time, Duration -> duration,
 * Vector/Float32Array -> vector, Array -> list (elements guessed one by one). null when it cannot tell.
 * Beyond that driver: a JS bigint guesses bigint, and a tuple's element types are guessed too.
 */
export function guessDataType(value: unknown): DataType | null {
  switch (typeof value) {
    case 'number':
      return T_DOUBLE;
    case 'string':
      return value.length === 36 && uuidRegex.test(value) ? T_UUID : T_TEXT;
    case 'boolean':
      return T_BOOLEAN;
    case 'bigint':
      return T_BIGINT;
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null) return null;
  if (value instanceof Buffer) return T_BLOB;
  if (value instanceof Date) return T_TIMESTAMP;
  if (Long.isLong(value)) return T_BIGINT;
  if (value instanceof Integer) return T_VARINT;
  if (value instanceof BigDecimal) return T_DECIMAL;
  if (value instanceof Uuid) return T_UUID;
  if (value instanceof InetAddress) return T_INET;
  if (value instanceof Tuple) {
    const info: DataType[] = [];
    for (const e of value.elements) {
      const t = guessDataType(e);
      if (t === null) return { code: dataTypes.tuple, info: null };
      info.push(t);
    }
    return { code: dataTypes.tuple, info };
  }
  if (value instanceof LocalDate) return T_DATE;
  if (value instanceof LocalTime) return T_TIME;
  if (value instanceof Duration) return T_DURATION;
  if (value instanceof Vector) {
    const v = value as unknown as { length: number; subtype?: unknown; [i: number]: unknown };
    if (!(v.length > 0)) throw new TypeError('Cannot guess subtype of empty vector');
    if (value instanceof Float32Array) return vectorType(T_FLOAT, value.length);
    let subtype: DataType | null = null;
    if (typeof v.subtype === 'string' && v.subtype) {
      try {
        subtype = parseTypeName(v.subtype);
      } catch {
        subtype = null;
      }
    }
    if (subtype === null) subtype = guessDataType(v[0]);
    if (subtype === null) throw new TypeError(`Cannot guess subtype from element ${String(v[0])}`);
    return vectorType(subtype, v.length);
  }
  if (Array.isArray(value)) return T_LIST;
  return null;
}
