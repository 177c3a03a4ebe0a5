/**
 * CQL type descriptors, shaped as `cassandra-driver` exposes them in `ResultSet.columns[i].type`
 * (`{ code, info }`), so the facade can hand them to applications unchanged.
 *
 * Native protocol v4/v5 spec, section 4.2.5.2 ([option] type codes).
 */
export const dataTypes = {
  custom: 0x0000,
  ascii: 0x0001,
  bigint: 0x0002,
  blob: 0x0003,
  boolean: 0x0004,
  counter: 0x0005,
  decimal: 0x0006,
  double: 0x0007,
  float: 0x0008,
  int: 0x0009,
  text: 0x000a,
  timestamp: 0x000b,
  uuid: 0x000c,
  varchar: 0x000d,
  varint: 0x000e,
  timeuuid: 0x000f,
  inet: 0x0010,
  date: 0x0011,
  time: 0x0012,
  smallint: 0x0013,
  tinyint: 0x0014,
  duration: 0x0015,
  list: 0x0020,
  map: 0x0021,
  set: 0x0022,
  udt: 0x0030,
  tuple: 0x0031,
} as const;

export type DataTypeCode = (typeof dataTypes)[keyof typeof dataTypes];

/** A field of a user-defined type. */
export interface UdtField {
  name: string;
  type: DataType;
}

/** `info` of a UDT descriptor. */
export interface UdtInfo {
  keyspace: string;
  name: string;
  fields: UdtField[];
}

/** `info` of a vector descriptor (Cassandra 5 `VectorType`, sent as a custom type). */
export interface VectorInfo {
  subtype: DataType;
  dimension: number;
}

/**
 * A CQL type. `info` depends on `code`:
 * - list, set: the element type;
 * - map: `[keyType, valueType]`;
 * - tuple: the element types;
 * - udt: {@link UdtInfo};
 * - custom: the Java class name (string), except vectors, whose `info` is {@link VectorInfo} and
 *   `customTypeName` is `'vector'` (as `cassandra-driver` 4.7+ does);
 * - every other code: `null`.
 */
export interface DataType {
  code: number;
  info: null | string | DataType | DataType[] | UdtInfo | VectorInfo;
  customTypeName?: string;
}
