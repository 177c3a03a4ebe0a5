/**
 * `types.FrameHeader` of cassandra-driver: a frame header as a value, for applications and tools that read raw
 * frames (proxies, captures). The driver's own I/O does not use it (core/frame encodes headers in place).
 *
 * Layout (v4 spec section 2; v5 spec section 2.4.1, the envelope header): version (u8, high bit = response),
 * flags (u8), stream (i16 from v3, i8 before), opcode (u8), length (u32).
 */
import { ArgumentError } from '@shardcql/core';

export class FrameHeader {
  constructor(
    public version: number,
    public flags: number,
    public streamId: number,
    public opcode: number,
    public bodyLength: number,
  ) {}

  /** Header size in bytes: 9 from v3 (two-byte stream ids), 8 before. */
  static size(version: number): number {
    return version >= 3 ? 9 : 8;
  }

  /** The protocol version of the frame starting at `buffer[0]` (the direction bit cleared). */
  static getProtocolVersion(buffer: Buffer): number {
    return buffer[0]! & 0x7f;
  }

  /** Reads the header at `offset` (default 0); ArgumentError when the buffer is too short for it. */
  static fromBuffer(buf: Buffer, offset?: number): FrameHeader {
    offset ??= 0;
    if (!Buffer.isBuffer(buf) || offset < 0 || buf.length < offset + 1) {
      throw new ArgumentError('FrameHeader.fromBuffer needs a Buffer holding a frame header');
    }
    const version = buf[offset]! & 0x7f;
    if (buf.length < offset + FrameHeader.size(version)) {
      throw new ArgumentError(`A v${version} frame header needs ${FrameHeader.size(version)} bytes, got ${buf.length - offset}`);
    }
    const flags = buf[offset + 1]!;
    let pos = offset + 2;
    let streamId: number;
    if (version >= 3) {
      streamId = buf.readInt16BE(pos);
      pos += 2;
    } else {
      streamId = buf.readInt8(pos++);
    }
    return new FrameHeader(version, flags, streamId, buf[pos]!, buf.readUInt32BE(pos + 1));
  }

  /** The header's bytes (a new buffer of `FrameHeader.size(version)`). */
  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(FrameHeader.size(this.version));
    buf.writeUInt8(this.version, 0);
    buf.writeUInt8(this.flags, 1);
    let pos = 2;
    if (this.version >= 3) {
      buf.writeInt16BE(this.streamId, pos);
      pos += 2;
    } else {
      buf.writeInt8(this.streamId, pos++);
    }
    buf.writeUInt8(this.opcode, pos);
    buf.writeUInt32BE(this.bodyLength, pos + 1);
    return buf;
  }
}
