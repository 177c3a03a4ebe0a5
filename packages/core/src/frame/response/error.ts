import { ByteReader, formatIp } from '../../bytes';
import { CodecError, ResponseError } from '../../errors';
import { consistencyToString, responseErrorCodes } from '../../types';
import { setOwn } from './prelude';

/** Error codes of v5 (section 8) that `cassandra-driver` 4.10 has no name for. */
const CDC_WRITE_FAILURE = 0x1600;
const CAS_WRITE_UNKNOWN = 0x1700;

const EMPTY = Buffer.alloc(0);
const reader = new ByteReader(EMPTY, 0, 0);

function cl(consistency: number): string {
  return String((consistencyToString as Readonly<Record<number, string>>)[consistency]);
}

/**
 * Decodes an ERROR body (spec v4 section 9, v5 section 8) into a ResponseError with the fields and the messages
 * `cassandra-driver` 4.10 gives it (readers.js readError), plus the codes it does not know: CDC_WRITE_FAILURE
 * (no extra fields), CAS_WRITE_UNKNOWN (<cl><received><blockfor>) and ScyllaDB's rate-limit error
 * (<op_type: byte><rejected_by_coordinator: byte>), whose code the server announces in SUPPORTED
 * (SCYLLA_RATE_LIMIT_ERROR ERROR_CODE=...): pass it as `rateLimitErrorCode`, -1 when not negotiated.
 * The error is returned, not thrown; a malformed body throws CodecError.
 */
export function decodeError(body: Buffer, start: number, end: number, version: number, rateLimitErrorCode = -1): ResponseError {
  const r = reader;
  r.reset(body, start, end);
  try {
    const code = r.i32();
    const err = new ResponseError(code, r.string());
    switch (code) {
      case responseErrorCodes.unavailableException:
        err.consistencies = r.u16();
        err.required = r.i32();
        err.alive = r.i32();
        err.message = `Not enough replicas available for query at consistency ${cl(err.consistencies)} (${err.required} required but only ${err.alive} alive)`;
        break;
      case responseErrorCodes.readTimeout:
      case responseErrorCodes.readFailure:
        readTimeoutOrFailure(r, err, version);
        break;
      case responseErrorCodes.writeTimeout:
      case responseErrorCodes.writeFailure:
        writeTimeoutOrFailure(r, err, version);
        break;
      case CAS_WRITE_UNKNOWN:
        err.consistencies = r.u16();
        err.received = r.i32();
        err.blockFor = r.i32();
        break;
      case CDC_WRITE_FAILURE:
        break;
      case responseErrorCodes.unprepared:
        err.queryId = Buffer.from(r.shortBytes());
        break;
      case responseErrorCodes.functionFailure:
        err.keyspace = r.string();
        err.functionName = r.string();
        err.argTypes = r.stringList();
        break;
      case responseErrorCodes.alreadyExists: {
        err.keyspace = r.string();
        const table = r.string();
        // A keyspace that already exists comes with an empty table name (section 9).
        if (table.length > 0) err.table = table;
        break;
      }
      default:
        if (code === rateLimitErrorCode) {
          err.opType = r.u8();
          err.rejectedByCoordinator = r.u8() !== 0;
        }
    }
    return err;
  } finally {
    r.reset(EMPTY, 0, 0);
  }
}

/** READ_TIMEOUT (<cl><received><blockfor><data_present>) and READ_FAILURE (the same with the failures before data_present). */
function readTimeoutOrFailure(r: ByteReader, err: ResponseError, version: number): void {
  const code = err.code;
  const consistency = r.u16();
  const received = r.i32();
  const blockFor = r.i32();
  err.consistencies = consistency;
  err.received = received;
  err.blockFor = blockFor;
  if (code === responseErrorCodes.readFailure) readFailures(r, err, version);
  const dataPresent = r.u8() !== 0;
  err.isDataPresent = dataPresent;
  if (code === responseErrorCodes.readTimeout) {
    const details =
      received < blockFor
        ? `${received} replica(s) responded over ${blockFor} required`
        : !dataPresent
          ? "the replica queried for the data didn't respond"
          : 'timeout while waiting for repair of inconsistent replica';
    err.message = `Server timeout during read query at consistency ${cl(consistency)} (${details})`;
  } else {
    err.message = `Server failure during read query at consistency ${cl(consistency)} (${blockFor} responses were required but only ${received} replicas responded, ${err.failures} failed)`;
  }
}

/** WRITE_TIMEOUT (<cl><received><blockfor><writeType>) and WRITE_FAILURE (the same with the failures before writeType). */
function writeTimeoutOrFailure(r: ByteReader, err: ResponseError, version: number): void {
  const code = err.code;
  const consistency = r.u16();
  const received = r.i32();
  const blockFor = r.i32();
  err.consistencies = consistency;
  err.received = received;
  err.blockFor = blockFor;
  if (code === responseErrorCodes.writeFailure) readFailures(r, err, version);
  const writeType = r.string();
  err.writeType = writeType;
  if (code === responseErrorCodes.writeTimeout) {
    err.message =
      writeType === 'BATCH_LOG'
        ? `Server timeout during batchlog write at consistency ${cl(consistency)} (${received} peer(s) acknowledged the write over ${blockFor} required)`
        : `Server timeout during write query at consistency ${cl(consistency)} (${received} peer(s) acknowledged the write over ${blockFor} required)`;
  } else {
    err.message = `Server failure during write query at consistency ${cl(consistency)} (${blockFor} responses were required but only ${received} replicas responded, ${err.failures} failed)`;
  }
}

/** v4: <numfailures: int>; v5: <reasonmap>: int n, then n <endpoint: inetaddr><failurecode: short>. */
function readFailures(r: ByteReader, err: ResponseError, version: number): void {
  const n = r.i32();
  err.failures = n;
  if (version < 5) return;
  if (n < 0) throw new CodecError(`negative failure count ${n}`);
  const reasons: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const size = r.u8();
    const address = formatIp(r.slice(size));
    setOwn(reasons, address, r.u16());
  }
  err.reasons = reasons;
}
