/**
 * The `types` namespace of cassandra-driver (`lib/types/index.js`): core's value classes and enums, plus the
 * client's ResultSet, ResultStream and Row.
 */
export {
  Long,
  Uuid,
  TimeUuid,
  BigDecimal,
  Integer,
  InetAddress,
  LocalDate,
  LocalTime,
  Duration,
  Tuple,
  Vector,
  Row,
  unset,
  consistencyToString,
  getDataTypeNameByCode,
  generateTimestamp,
  uuid,
  timeuuid,
  frameFlags,
  DriverError,
} from '@shardcql/core';
export type { DataType, ColumnInfo } from '@shardcql/core';
import {
  dataTypes as coreDataTypes,
  opcodes as coreOpcodes,
  parseTypeName,
  consistencies as coreConsistencies,
  distance as coreDistance,
  responseErrorCodes as coreResponseErrorCodes,
  protocolVersion as coreProtocolVersion,
  type DataType,
} from '@shardcql/core';

/*
 * cassandra-driver declares these as TypeScript enums: each name is also a type (`level: types.consistencies`,
 * any number) and the object is indexable by a number (`types.consistencies[level]`). The values are the same
 * objects as before; the number index is declared as cassandra-driver declares it, though neither driver's
 * object has reverse entries at run time (it reads undefined in both).
 */
type EnumObject<T> = T & { readonly [code: number]: string };
export const consistencies: EnumObject<typeof coreConsistencies> = coreConsistencies as EnumObject<typeof coreConsistencies>;
export type consistencies = number;
export const distance: EnumObject<typeof coreDistance> = coreDistance as EnumObject<typeof coreDistance>;
export type distance = number;
export const responseErrorCodes: EnumObject<typeof coreResponseErrorCodes> = coreResponseErrorCodes as EnumObject<
  typeof coreResponseErrorCodes
>;
export type responseErrorCodes = number;
export const protocolVersion: EnumObject<typeof coreProtocolVersion> = coreProtocolVersion as EnumObject<typeof coreProtocolVersion>;
export type protocolVersion = number;
export type dataTypes = number;
export { ResultSet } from './result-set';
export { FrameHeader } from './frame-header';
export { ResultStream } from './result-stream';

/** Server event names (spec section 4.2.6). */
export const protocolEvents = { topologyChange: 'TOPOLOGY_CHANGE', statusChange: 'STATUS_CHANGE', schemaChange: 'SCHEMA_CHANGE' } as const;

/** RESULT kinds (spec section 4.2.5). */
export const resultKind = { voidResult: 1, rows: 2, setKeyspace: 3, prepared: 4, schemaChange: 5 } as const;

export { OperationTimedOutError as TimeoutError } from '@shardcql/core';

/**
 * Message opcodes (spec section 2.4), with the two cassandra-driver also lists: CREDENTIALS (0x04, protocol v1
 * only) and its internal CANCEL marker (0xff).
 */
export const opcodes = {
  ...coreOpcodes,
  credentials: 0x04,
  cancel: 0xff,
  /** Whether `code` is an opcode of the protocol (0x00..0x10). cassandra-driver's version returns false for most. */
  isInRange(code: number): boolean {
    return Number.isInteger(code) && code >= coreOpcodes.error && code <= coreOpcodes.authSuccess;
  },
};

/** CQL type codes (spec section 6) and `getByName`, as cassandra-driver's `types.dataTypes`. */
export const dataTypes: EnumObject<typeof coreDataTypes & { getByName(name: string): DataType }> = {
  ...coreDataTypes,
  /**
   * The type descriptor for a CQL type name: `'int'`, `'list<text>'`, `'map<text, int>'`, `'frozen<set<int>>'`,
   * `'tuple<int, text>'`, `'vector<float, 3>'`; `'udt<name>'` gives `{code: udt, info: 'name'}` (fields unknown),
   * as in cassandra-driver. A name that is no type: ArgumentError.
   */
  getByName(name: string): DataType {
    const m = typeof name === 'string' ? /^\s*udt<(.+)>\s*$/i.exec(name) : null;
    if (m !== null) return { code: coreDataTypes.udt, info: m[1]!.trim() } as unknown as DataType;
    return parseTypeName(name);
  },
};
