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
  /** PREPARE carries [int] flags (the keyspace) from v5 (v5 spec section 4.1.5) and in DSE_V2. */
  supportsPrepareFlags(version: number): boolean {
    return version === 0x05 || version === 0x42;
  },
  /** Continuous paging is a DSE protocol feature. */
  supportsContinuousPaging(version: number): boolean {
    return version >= 0x41 && version <= 0x42;
  },
  /** QUERY/EXECUTE flags are an [int] from v5 (v5 spec section 4.1.4) and in DSE protocols; a [byte] before. */
  uses4BytesQueryFlags(version: number): boolean {
    return version === 0x05 || version === 0x06 || version === 0x41 || version === 0x42;
  },
  /** From v4 a STARTUP may be answered by a SERVER_ERROR that wraps a ProtocolException (a version mismatch). */
  canStartupResponseErrorBeWrapped(version: number): boolean {
    return version >= 0x04;
  },
  /**
   * A beta version must be asked for with the USE_BETA flag (v5 spec section 2.2). v5 is final since Cassandra
   * 4.0 and is spoken here without it; v6 is beta. (cassandra-driver 4.10, which stops at v4, calls v5 beta.)
   */
  isBeta(version: number): boolean {
    return version === 0x06;
  },
  /**
   * The highest version every host can speak, capped by `connection.protocolVersion`, from the hosts'
   * `cassandraVersion` (system.local/peers release_version): 4.0+ speaks v5, 2.2 and 3.x v4, 2.1 v3, 2.0 v2,
   * older v1. ScyllaDB reports a 3.0.x release_version, hence v4. Hosts without a readable version are skipped.
   * If some host needs v3 or more, hosts older than 2.1 are left out (they cannot share a cluster with it).
   */
  getHighestCommon(
    connection: { protocolVersion: number; log?: (level: string, message: string) => void },
    hosts:
      | Iterable<{ cassandraVersion?: string | null; address?: unknown }>
      | { forEach(cb: (h: { cassandraVersion?: string | null; address?: unknown }) => void): void },
  ): number {
    const log = typeof connection.log === 'function' ? connection.log.bind(connection) : null;
    let max = connection.protocolVersion;
    let maxWith3 = max;
    let needs3 = false;
    const visit = (h: { cassandraVersion?: string | null; address?: unknown }): void => {
      const m = typeof h.cassandraVersion === 'string' ? /^(\d+)\.(\d+)/.exec(h.cassandraVersion) : null;
      if (m === null) {
        log?.(
          'warning',
          `Encountered host ${String(h.address)} with no readable cassandra version, skipping it for protocol version evaluation`,
        );
        return;
      }
      const v = Number(m[1]) * 1000 + Number(m[2]);
      let cap: number;
      if (v >= 4000) cap = 0x05;
      else if (v >= 2002) cap = 0x04;
      else if (v >= 2001) cap = 0x03;
      else if (v >= 2000) cap = 0x02;
      else cap = 0x01;
      if (v >= 3000) needs3 = true;
      max = Math.min(max, cap);
      if (cap >= 0x03) maxWith3 = Math.min(maxWith3, cap);
    };
    if (Symbol.iterator in hosts) for (const h of hosts) visit(h);
    else hosts.forEach(visit);
    if (needs3 && max < 0x03) {
      log?.('error', `Some hosts need protocol v3 or later and others at most 0x${max.toString(16)}: the older hosts are left out`);
      max = maxWith3;
    }
    return max;
  },
  /** The version to try after `version` was rejected, or 0 when there is none. */
  getLowerSupported(version: number): number {
    if (version >= 0x05) return 0x04;
    if (version <= 0x01) return 0;
    return version - 1;
  },
} as const;
