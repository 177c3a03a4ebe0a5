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
  consistencies,
  consistencyToString,
  dataTypes,
  getDataTypeNameByCode,
  distance,
  responseErrorCodes,
  protocolVersion,
  generateTimestamp,
  uuid,
  timeuuid,
  opcodes,
  frameFlags,
  DriverError,
} from '@shardcql/core';
export type { DataType, ColumnInfo } from '@shardcql/core';
export { ResultSet } from './result-set';
export { ResultStream } from './result-stream';

/** Server event names (spec section 4.2.6). */
export const protocolEvents = { topologyChange: 'TOPOLOGY_CHANGE', statusChange: 'STATUS_CHANGE', schemaChange: 'SCHEMA_CHANGE' } as const;

/** RESULT kinds (spec section 4.2.5). */
export const resultKind = { voidResult: 1, rows: 2, setKeyspace: 3, prepared: 4, schemaChange: 5 } as const;

export { OperationTimedOutError as TimeoutError } from '@shardcql/core';
