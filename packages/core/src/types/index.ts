// core/types: CQL value classes (as cassandra-driver's `types`), type descriptors and the value codec.
export * from './data-type';
export { Long } from './long';
export { Uuid } from './uuid';
export { TimeUuid } from './time-uuid';
export { Integer } from './integer';
export { BigDecimal } from './big-decimal';
export { InetAddress } from './inet-address';
export { LocalDate } from './local-date';
export { LocalTime } from './local-time';
export { Duration } from './duration';
export { Tuple } from './tuple';
export { Vector } from './vector';
export { Row, type ColumnInfo } from './row';
export { consistencies, consistencyToString, distance, responseErrorCodes, protocolVersion } from './enums';
export { unset, generateTimestamp, timeuuid, uuid, type TimeUuidOptions } from './values';
export {
  customTypeNames,
  getDataTypeNameByCode,
  parseTypeName,
  parseFqTypeName,
  fqTypeName,
  toDataType,
  vectorType,
  getVectorInfo,
} from './type-name';
export { guessDataType } from './guess';
export { defaultCodecOptions, type CodecOptions } from './codec';
export { writeValue } from './encode';
export { readValue } from './decode';
export { fixedValueLength } from './vector-layout';
export { readTypeSpec, writeTypeSpec } from './type-spec';
