import { EnvelopeParser, type V5FrameDecoder } from '@shardcql/core';

/** Receives each parsed envelope; the parser's fields (and its body view) are valid only during the call. */
export interface EnvelopeSink {
  onEnvelope(p: EnvelopeParser): void;
}

/**
 * The reader of one connection (scylla-rust-driver's reader): whole socket chunks go into the
 * envelope parser, which gathers partial envelopes by length and hands complete ones to the sink
 * without copying when an envelope lies in one chunk. With v5 framing (spec v5 section 2), chunks go
 * through the frame decoder first (CRC checks, LZ4), and its payloads, which are envelope bytes, into
 * the same parser.
 */
export class FrameReader {
  readonly parser = new EnvelopeParser();
  /** Set once the v5 framing starts (after READY or AUTHENTICATE, spec v5 section 2.3). */
  v5: V5FrameDecoder | null = null;
  /** Set by the owner when it closes: stops dispatching the rest of a chunk. */
  stopped = false;
  private readonly sink: EnvelopeSink;

  constructor(sink: EnvelopeSink) {
    this.sink = sink;
  }

  /** Parses one socket chunk and dispatches every complete envelope. Throws CodecError on bad bytes. */
  push(chunk: Buffer): void {
    const p = this.parser;
    const sink = this.sink;
    if (this.v5 === null) {
      p.push(chunk);
      // The framing may start in the middle of this loop (READY): the server sends nothing after
      // READY / AUTHENTICATE until we speak again, so no framed byte can follow in the same chunk.
      while (!this.stopped && p.next()) sink.onEnvelope(p);
      return;
    }
    const dec = this.v5;
    dec.push(chunk);
    let payload: Buffer | null;
    while (!this.stopped && (payload = dec.next()) !== null) {
      p.push(payload);
      while (!this.stopped && p.next()) sink.onEnvelope(p);
    }
  }
}
