/**
 * cassandra-driver's `Encoder`: serializes one JS value to the bytes of a CQL type and back, outside any
 * request (applications use it to build routing keys or to decode blobs they stored). It wraps core's codec,
 * the one every request uses, so the bytes are the same the driver sends (spec section 6).
 */
import {
  ByteWriter,
  defaultCodecOptions,
  guessDataType,
  protocolVersion as versions,
  readValue,
  toDataType,
  unset,
  writeValue,
  type CodecOptions,
  type DataType,
} from '@shardcql/core';
import { inspect } from 'node:util';
import { dataTypes } from './types';

/** The subset of client options the encoder reads (`encoding`, as in ClientOptions). */
export interface EncoderOptions {
  encoding?: Partial<CodecOptions> | null;
}

/** A type hint: a type code, a CQL type name, or a `{code, info}` descriptor. */
export type TypeHint = number | string | DataType;

const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array) as abstract new (...args: never[]) => unknown;
const WRITER_SIZE = 256;
const MAX_KEPT_WRITER = 1024 * 1024;

export class Encoder {
  protocolVersion: number;
  /** The `encoding` options this encoder was built with. */
  readonly encodingOptions: Partial<CodecOptions>;
  private readonly codec: CodecOptions;
  private readonly writer = new ByteWriter(WRITER_SIZE);

  constructor(protocolVersion: number, options?: EncoderOptions | null) {
    this.protocolVersion = protocolVersion;
    this.encodingOptions = options?.encoding ?? {};
    const codec = defaultCodecOptions();
    const e = this.encodingOptions;
    codec.useBigIntAsLong = e.useBigIntAsLong === true;
    codec.useBigIntAsVarint = e.useBigIntAsVarint === true;
    codec.copyBuffer = e.copyBuffer === true;
    codec.useUndefinedAsUnset = e.useUndefinedAsUnset === true;
    codec.map = e.map ?? null;
    codec.set = e.set ?? null;
    this.codec = codec;
  }

  /**
   * The bytes of `value` as `typeInfo` (guessed from the value when absent, as for unprepared queries). null
   * stays null and a Buffer is returned as is; `undefined` is null, or `types.unset` with
   * `encoding.useUndefinedAsUnset` (v4+). TypeError for a value the type cannot take or a type not guessable.
   */
  encode(value: unknown, typeInfo?: TypeHint | null): Buffer | null | typeof unset {
    if (value === undefined) value = this.codec.useUndefinedAsUnset && this.protocolVersion >= 4 ? unset : null;
    if (value === unset) {
      if (!versions.supportsUnset(this.protocolVersion)) {
        throw new TypeError(`Unset value can not be used for this version of Cassandra, protocol version: ${this.protocolVersion}`);
      }
      return unset;
    }
    if (value === null || Buffer.isBuffer(value)) return value as Buffer | null;
    let type: DataType | null;
    if (typeInfo !== undefined && typeInfo !== null) {
      type = typeof typeInfo === 'string' ? dataTypes.getByName(typeInfo) : toDataType(typeInfo);
    } else {
      type = guessDataType(value);
      if (type === null) {
        throw new TypeError(
          `Target data type could not be guessed, you should use prepared statements for accurate type mapping. Value: ${inspect(value)}`,
        );
      }
    }
    const w = this.writer;
    w.reset();
    try {
      writeValue(w, value, type, this.codec);
      const out = w.view();
      const len = out.readInt32BE(0);
      // An empty list or set is written as null ([value] length -1, spec section 3), as cassandra-driver sends it.
      if (len < 0) return len === -2 ? unset : null;
      return Buffer.from(out.subarray(4, 4 + len));
    } finally {
      // The value was copied out: one huge value does not keep its size allocated in the encoder.
      w.shrink(MAX_KEPT_WRITER, WRITER_SIZE);
    }
  }

  /** The JS value of `buffer` as `type`; null for null (and for an empty buffer of a type with no empty value). */
  decode(buffer: Buffer | null, type: TypeHint): unknown {
    if (buffer === null || buffer === undefined) return null;
    const t = typeof type === 'string' ? dataTypes.getByName(type) : toDataType(type);
    return readValue(buffer, 0, buffer.length, t, this.codec);
  }

  /** The CQL type a value of an unprepared query is sent as, or null when it cannot be told. */
  static guessDataType(value: unknown): DataType | null {
    const t = guessDataType(value);
    return t === null ? null : { ...t };
  }

  /** Whether `arg` is a TypedArray (Float32Array, Uint8Array, ...). */
  static isTypedArray(arg: unknown): boolean {
    return arg instanceof TYPED_ARRAY;
  }
}
