/** Consistency levels (spec section 3, [consistency]). */
export const consistencies = {
  any: 0x00,
  one: 0x01,
  two: 0x02,
  three: 0x03,
  quorum: 0x04,
  all: 0x05,
  localQuorum: 0x06,
  eachQuorum: 0x07,
  serial: 0x08,
  localSerial: 0x09,
  localOne: 0x0a,
} as const;

/** Consistency code -> the server's name for it. */
export const consistencyToString: Readonly<Record<number, string>> = {
  [consistencies.any]: 'ANY',
  [consistencies.one]: 'ONE',
  [consistencies.two]: 'TWO',
  [consistencies.three]: 'THREE',
  [consistencies.quorum]: 'QUORUM',
  [consistencies.all]: 'ALL',
  [consistencies.localQuorum]: 'LOCAL_QUORUM',
  [consistencies.eachQuorum]: 'EACH_QUORUM',
  [consistencies.serial]: 'SERIAL',
  [consistencies.localSerial]: 'LOCAL_SERIAL',
  [consistencies.localOne]: 'LOCAL_ONE',
};

/** Host distance as load-balancing policies report it. */
export const distance = { local: 0, remote: 1, ignored: 2 } as const;

/** ERROR codes (spec section 9). */
export const responseErrorCodes = {
  serverError: 0x0000,
  protocolError: 0x000a,
  badCredentials: 0x0100,
  unavailableException: 0x1000,
  overloaded: 0x1001,
  isBootstrapping: 0x1002,
  truncateError: 0x1003,
  writeTimeout: 0x1100,
  readTimeout: 0x1200,
  readFailure: 0x1300,
  functionFailure: 0x1400,
  writeFailure: 0x1500,
  syntaxError: 0x2000,
  unauthorized: 0x2100,
  invalid: 0x2200,
  configError: 0x2300,
  alreadyExists: 0x2400,
  unprepared: 0x2500,
  clientWriteFailure: 0x8000,
} as const;

/**
 * Protocol versions and the feature predicates `cassandra-driver` exposes on `types.protocolVersion`.
 * Unlike that driver (which stops at v4 for Apache Cassandra), v5 is supported here.
 */
export const protocolVersion = {
  v1: 0x01,
  v2: 0x02,
  v3: 0x03,
  v4: 0x04,
  v5: 0x05,
  v6: 0x06,
  dseV1: 0x41,
  dseV2: 0x42,
  maxSupported: 0x05,
  minSupported: 0x04,
  isDse(version: number): boolean {
    return version >= 0x41 && version <= 0x42;
  },
  isSupportedCassandra(version: number): boolean {
    return version >= 0x04 && version <= 0x05;
  },
  isSupported(version: number): boolean {
    return version >= 0x04 && version <= 0x05;
  },
  supportsPreparedPartitionKey(version: number): boolean {
    return version >= 0x04;
  },
  supportsSchemaChangeFullMetadata(version: number): boolean {
    return version >= 0x03;
  },
  supportsPaging(version: number): boolean {
    return version >= 0x02;
  },
  supportsTimestamp(version: number): boolean {
    return version >= 0x03;
  },
  supportsNamedParameters(version: number): boolean {
    return version >= 0x03;
  },
  supportsUnset(version: number): boolean {
    return version >= 0x04;
  },
  supportsFailureReasonMap(version: number): boolean {
    return version >= 0x05;
  },
  supportsKeyspaceInRequest(version: number): boolean {
    return version === 0x05 || version === 0x42;
  },
  supportsResultMetadataId(version: number): boolean {
    return version === 0x05 || version === 0x42;
  },
  uses2BytesStreamIds(version: number): boolean {
    return version >= 0x03;
  },
  uses4BytesCollectionLength(version: number): boolean {
    return version >= 0x03;
  },
  /** The version to try after `version` was rejected, or 0 when there is none. */
  getLowerSupported(version: number): number {
    if (version >= 0x05) return 0x04;
    if (version <= 0x01) return 0;
    return version - 1;
  },
} as const;
