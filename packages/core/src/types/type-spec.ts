import type { ByteReader, ByteWriter } from '../bytes';
import { CodecError } from '../errors';
import { dataTypes, type DataType, type UdtField, type UdtInfo } from './data-type';
import { customTypeNames, fqTypeName, getVectorInfo, parseFqTypeName } from './type-name';

/** Deeper nesting than this is not a real schema: a corrupt frame must not exhaust the stack. */
const MAX_DEPTH = 64;

/**
 * Reads an [option] type (spec section 4.2.5.2): the code, then for custom the class name, list/set the
 * element type, map two types, udt keyspace, name and fields, tuple the element types. A vector (sent as
 * the custom class `VectorType(subtype,n)`) becomes `{ code: custom, customTypeName: 'vector', info: { subtype, dimension } }`.
 */
export function readTypeSpec(r: ByteReader): DataType {
  return readType(r, 0);
}

/**
 * Moves `r` past an [option] type without building it (the same bytes readTypeSpec reads, the same
 * CodecErrors for truncated or unknown types), to find where a result's column specs end.
 */
export function skipTypeSpec(r: ByteReader): void {
  skipType(r, 0);
}

/** Moves `r` past a [string] without decoding it. */
export function skipString(r: ByteReader): void {
  const len = r.u16();
  r.need(len);
  r.pos += len;
}

function skipType(r: ByteReader, depth: number): void {
  if (depth > MAX_DEPTH) throw new CodecError('type nested too deeply');
  const code = r.u16();
  switch (code) {
    case dataTypes.custom:
      skipString(r);
      return;
    case dataTypes.list:
    case dataTypes.set:
      skipType(r, depth + 1);
      return;
    case dataTypes.map:
      skipType(r, depth + 1);
      skipType(r, depth + 1);
      return;
    case dataTypes.udt: {
      skipString(r);
      skipString(r);
      const n = r.u16();
      for (let i = 0; i < n; i++) {
        skipString(r);
        skipType(r, depth + 1);
      }
      return;
    }
    case dataTypes.tuple: {
      const n = r.u16();
      for (let i = 0; i < n; i++) skipType(r, depth + 1);
      return;
    }
    default:
      if (code >= dataTypes.ascii && code <= dataTypes.duration) return;
      throw new CodecError(`unknown type code 0x${code.toString(16)}`);
  }
}

function readType(r: ByteReader, depth: number): DataType {
  if (depth > MAX_DEPTH) throw new CodecError('type nested too deeply');
  const code = r.u16();
  switch (code) {
    case dataTypes.custom: {
      const name = r.string();
      if (name.startsWith(customTypeNames.vector)) {
        const t = parseFqTypeName(name);
        if (getVectorInfo(t) !== null) return t;
      }
      return { code, info: name };
    }
    case dataTypes.list:
    case dataTypes.set:
      return { code, info: readType(r, depth + 1) };
    case dataTypes.map: {
      const k = readType(r, depth + 1);
      return { code, info: [k, readType(r, depth + 1)] };
    }
    case dataTypes.udt: {
      const keyspace = r.string();
      const name = r.string();
      const n = r.u16();
      const fields: UdtField[] = [];
      for (let i = 0; i < n; i++) {
        const fieldName = r.string();
        fields.push({ name: fieldName, type: readType(r, depth + 1) });
      }
      const info: UdtInfo = { keyspace, name, fields };
      return { code, info };
    }
    case dataTypes.tuple: {
      const n = r.u16();
      const info: DataType[] = [];
      for (let i = 0; i < n; i++) info.push(readType(r, depth + 1));
      return { code, info };
    }
    default:
      if (code >= dataTypes.ascii && code <= dataTypes.duration) return { code, info: null };
      throw new CodecError(`unknown type code 0x${code.toString(16)}`);
  }
}

/** Writes `t` as an [option] (the inverse of {@link readTypeSpec}). */
export function writeTypeSpec(w: ByteWriter, t: DataType): void {
  if (getVectorInfo(t) !== null) {
    w.u16(dataTypes.custom);
    w.string(fqTypeName(t));
    return;
  }
  w.u16(t.code);
  switch (t.code) {
    case dataTypes.custom:
      w.string(typeof t.info === 'string' ? t.info : fqTypeName(t));
      return;
    case dataTypes.list:
    case dataTypes.set:
      writeTypeSpec(w, t.info as DataType);
      return;
    case dataTypes.map: {
      const [k, v] = t.info as DataType[];
      writeTypeSpec(w, k!);
      writeTypeSpec(w, v!);
      return;
    }
    case dataTypes.udt: {
      const u = t.info as UdtInfo;
      w.string(u.keyspace);
      w.string(u.name);
      w.u16(u.fields.length);
      for (const f of u.fields) {
        w.string(f.name);
        writeTypeSpec(w, f.type);
      }
      return;
    }
    case dataTypes.tuple: {
      const info = t.info as DataType[];
      w.u16(info.length);
      for (const e of info) writeTypeSpec(w, e);
      return;
    }
  }
}
