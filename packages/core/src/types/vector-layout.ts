// How a vector (Cassandra 5 VectorType, a custom type) lays out its elements: its info, including for custom
// types given by class name, and the serialized size of an element type whose values all have the same size.
import { dataTypes, type DataType, type VectorInfo } from './data-type';
import { customTypeNames, getVectorInfo, parseFqTypeName } from './type-name';

// Type codes as module constants, so the switches compare against constants (spec 4.2.5.2).
const C_BIGINT = dataTypes.bigint;
const C_BOOLEAN = dataTypes.boolean;
const C_CUSTOM = dataTypes.custom;
const C_DOUBLE = dataTypes.double;
const C_FLOAT = dataTypes.float;
const C_INT = dataTypes.int;
const C_TIMESTAMP = dataTypes.timestamp;
const C_TIMEUUID = dataTypes.timeuuid;
const C_UUID = dataTypes.uuid;

const vectorCache = new Map<string, DataType>();

/** The vector info of a custom type, including custom types given by class name. */
export function vectorOf(type: DataType): VectorInfo | null {
  const v = getVectorInfo(type);
  if (v !== null || typeof type.info !== 'string' || !type.info.startsWith(customTypeNames.vector)) return v;
  let parsed = vectorCache.get(type.info);
  if (parsed === undefined) {
    parsed = parseFqTypeName(type.info);
    if (vectorCache.size < 1000) vectorCache.set(type.info, parsed);
  }
  return getVectorInfo(parsed);
}

/**
 * Serialized size of a vector element type when every value has the same size (Cassandra's
 * `AbstractType.valueLengthIfFixed()`: such elements are written without a length), -1 otherwise.
 */
export function fixedValueLength(t: DataType): number {
  switch (t.code) {
    case C_BOOLEAN:
      return 1;
    case C_INT:
    case C_FLOAT:
      return 4;
    case C_BIGINT:
    case C_DOUBLE:
    case C_TIMESTAMP:
      return 8;
    case C_UUID:
    case C_TIMEUUID:
      return 16;
    case C_CUSTOM: {
      const v = getVectorInfo(t);
      if (v === null) return -1;
      const sub = fixedValueLength(v.subtype);
      return sub < 0 ? -1 : sub * v.dimension;
    }
    default:
      return -1;
  }
}
