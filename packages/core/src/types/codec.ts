// The value codec's options. The codec itself: encode.ts writes values (writeValue), decode.ts reads them
// (readValue, decodeValue), vector-layout.ts says how a vector lays out its elements.
type MapConstructor = new () => { set(key: unknown, value: unknown): unknown };
type SetConstructor = new (values?: readonly unknown[]) => unknown;

/** How values map to JS, as `cassandra-driver`'s `encoding` client options. */
export interface CodecOptions {
  /** bigint/counter decode to a JS bigint instead of a Long. */
  useBigIntAsLong: boolean;
  /** varint decodes to a JS bigint instead of an Integer. */
  useBigIntAsVarint: boolean;
  /** blob, uuid, timeuuid, inet and custom values get their own copy instead of a view of the receive buffer. */
  copyBuffer: boolean;
  /** An undefined parameter is sent as `unset` (v4+) instead of null. */
  useUndefinedAsUnset: boolean;
  /** Constructor for decoded maps (called without arguments, then `.set(k, v)`); null: plain objects. */
  map: MapConstructor | null;
  /** Constructor for decoded sets (called with an array); null: arrays. */
  set: SetConstructor | null;
}

export function defaultCodecOptions(): CodecOptions {
  return { useBigIntAsLong: false, useBigIntAsVarint: false, copyBuffer: false, useUndefinedAsUnset: false, map: null, set: null };
}
