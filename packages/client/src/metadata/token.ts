/**
 * Tokens and token ranges (cassandra-driver `lib/token.js`, exported as `token.{Token, TokenRange}`), for
 * the Murmur3 partitioner (the only one ScyllaDB and current Cassandra use). A range ]start, end] holds
 * the tokens after start up to end; ]min, min] is the whole ring.
 */
import { ArgumentError, Long, murmur3Token } from '@shardcql/core';

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;
/** cassandra-driver's ring length for Murmur3: max - min. */
const RING = MAX - MIN;

export class Token {
  protected readonly _value: Long;

  constructor(value: Long) {
    this._value = value;
  }

  getType(): { code: number; info: null } {
    return { code: 0x0002, info: null };
  }

  /** The token as a `types.Long`. */
  getValue(): Long {
    return this._value;
  }

  toString(): string {
    return this._value.toString();
  }

  compare(other: Token): number {
    return this._value.compare(other._value);
  }

  equals(other: Token): boolean {
    return this.compare(other) === 0;
  }

  inspect(): string {
    return `${this.constructor.name} { ${this.toString()} }`;
  }
}

/** A Murmur3Partitioner token: a signed 64-bit integer (bigint type). */
export class Murmur3Token extends Token {}

/** Murmur3 tokens: parse, hash, bounds, split (cassandra-driver's Murmur3Tokenizer). */
export const murmur3Tokenizer = {
  parse(value: string | bigint): Murmur3Token {
    const s = String(value).trim();
    if (!/^-?\d+$/.test(s)) throw new ArgumentError(`Invalid Murmur3 token ${JSON.stringify(String(value))}`);
    const b = BigInt(s);
    if (b < MIN || b > MAX) throw new ArgumentError(`Murmur3 token out of range: ${s}`);
    return new Murmur3Token(Long.fromString(s));
  },
  hash(key: Buffer | Uint8Array): Murmur3Token {
    return new Murmur3Token(Long.fromString(murmur3Token(key).toString()));
  },
  minToken(): Murmur3Token {
    return this.parse(MIN);
  },
  /** numberOfSplits - 1 points evenly dividing ]start, end] (remainder spread over the first parts). */
  split(start: Token, end: Token, numberOfSplits: number): Murmur3Token[] {
    const s = BigInt(start.toString());
    let e = BigInt(end.toString());
    if (s === e && s === MIN) e = MAX;
    let range = e - s;
    if (range < 0n) range += RING;
    const n = BigInt(numberOfSplits);
    const divider = range / n;
    let remainder = range % n;
    const out: Murmur3Token[] = [];
    let current = s;
    for (let i = 1; i < numberOfSplits; i++) {
      current += remainder > 0n ? divider + 1n : divider;
      if (current > MAX) current -= RING;
      out.push(this.parse(current));
      remainder -= 1n;
    }
    return out;
  },
};

export class TokenRange {
  readonly start: Token;
  readonly end: Token;

  constructor(start: Token, end: Token) {
    this.start = start;
    this.end = end;
  }

  /** Splits the range into `numberOfSplits` ranges of (nearly) equal size. */
  splitEvenly(numberOfSplits: number): TokenRange[] {
    if (!Number.isInteger(numberOfSplits) || numberOfSplits < 1) {
      throw new ArgumentError(`numberOfSplits (${numberOfSplits}) must be greater than 0.`);
    }
    if (this.isEmpty()) throw new ArgumentError(`Can't split empty range ${this.toString()}`);
    const points = murmur3Tokenizer.split(this.start, this.end, numberOfSplits);
    const out: TokenRange[] = [];
    let from: Token = this.start;
    for (const p of points) {
      out.push(new TokenRange(from, p));
      from = p;
    }
    out.push(new TokenRange(from, this.end));
    return out;
  }

  /** ]t, t] is empty unless t is the minimum token (then it is the whole ring). */
  isEmpty(): boolean {
    return this.start.equals(this.end) && !this.start.equals(murmur3Tokenizer.minToken());
  }

  isWrappedAround(): boolean {
    return this.start.compare(this.end) > 0 && !this.end.equals(murmur3Tokenizer.minToken());
  }

  /** A wrapped range as two ranges that do not wrap (]start, min] and ]min, end]); else [this]. */
  unwrap(): TokenRange[] {
    if (!this.isWrappedAround()) return [this];
    const min = murmur3Tokenizer.minToken();
    return [new TokenRange(this.start, min), new TokenRange(min, this.end)];
  }

  contains(token: Token): boolean {
    if (this.isEmpty()) return false;
    const min = murmur3Tokenizer.minToken();
    if (this.end.equals(min)) {
      if (this.start.equals(min)) return true;
      if (token.equals(min)) return true;
      return token.compare(this.start) > 0;
    }
    const afterStart = token.compare(this.start) > 0;
    const beforeEnd = token.compare(this.end) <= 0;
    return this.isWrappedAround() ? afterStart || beforeEnd : afterStart && beforeEnd;
  }

  equals(other: unknown): boolean {
    if (other === this) return true;
    return other instanceof TokenRange && this.compare(other) === 0;
  }

  compare(other: TokenRange): number {
    const c = this.start.compare(other.start);
    return c !== 0 ? c : this.end.compare(other.end);
  }

  toString(): string {
    return `]${this.start.toString()}, ${this.end.toString()}]`;
  }
}
