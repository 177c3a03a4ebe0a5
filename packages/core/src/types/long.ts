// `import =`, not a default import: the emitted .d.ts must compile without `esModuleInterop` too.
import Long = require('long');

/**
 * `Long` is the npm `long` class itself, as `cassandra-driver`'s `types.Long` is. Like that driver we add
 * `Long.fromBuffer`, `Long.toBuffer`, `toJSON` (a decimal string, so JSON keeps all 64 bits) and `inspect`.
 * The additions go on the shared class only when missing, so another copy of the driver can coexist.
 */
interface LongStatics {
  fromBuffer?: (value: Buffer) => Long;
  toBuffer?: (value: Long) => Buffer;
}
interface LongProto {
  toJSON?: () => string;
  inspect?: () => string;
}

const statics = Long as unknown as LongStatics;
const proto = Long.prototype as unknown as LongProto;

if (typeof statics.fromBuffer !== 'function') {
  statics.fromBuffer = function fromBuffer(value: Buffer): Long {
    if (!(value instanceof Buffer)) throw new TypeError(`Expected Buffer, obtained ${String(value)}`);
    return new Long(value.readInt32BE(4), value.readInt32BE(0));
  };
}
if (typeof statics.toBuffer !== 'function') {
  statics.toBuffer = function toBuffer(value: Long): Buffer {
    if (!Long.isLong(value)) throw new TypeError(`Expected Long, obtained ${String(value)}`);
    const buf = Buffer.allocUnsafe(8);
    buf.writeInt32BE(value.high, 0);
    buf.writeInt32BE(value.low, 4);
    return buf;
  };
}
if (typeof proto.toJSON !== 'function') {
  proto.toJSON = function toJSON(this: Long): string {
    return this.toString();
  };
}
if (typeof proto.inspect !== 'function') {
  proto.inspect = function inspect(this: Long): string {
    return `Long: ${this.toString()}`;
  };
}

export { Long };
