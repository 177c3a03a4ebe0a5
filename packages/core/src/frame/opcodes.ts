/**
 * Message opcodes (spec v4 section 2.4, v5 section 2.4.1.4) and envelope header flags
 * (v4 section 2.2, v5 section 2.4.1.2). There is no opcode 4 since protocol v2.
 */
export const opcodes = {
  error: 0x00,
  startup: 0x01,
  ready: 0x02,
  authenticate: 0x03,
  options: 0x05,
  supported: 0x06,
  query: 0x07,
  result: 0x08,
  prepare: 0x09,
  execute: 0x0a,
  register: 0x0b,
  event: 0x0c,
  batch: 0x0d,
  authChallenge: 0x0e,
  authResponse: 0x0f,
  authSuccess: 0x10,
} as const;

export type Opcode = (typeof opcodes)[keyof typeof opcodes];

export const frameFlags = {
  /** v4 only: the body is compressed. Deprecated and ignored in v5, where the framing compresses. */
  compression: 0x01,
  tracing: 0x02,
  customPayload: 0x04,
  warning: 0x08,
  /** Opt in to a protocol version the server marks as beta. Never set for v5 on Cassandra 4.0+. */
  useBeta: 0x10,
} as const;
