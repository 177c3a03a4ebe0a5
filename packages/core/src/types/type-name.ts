import { ArgumentError } from '../errors';
import { dataTypes, type DataType, type UdtInfo, type VectorInfo } from './data-type';

/** Java class names of the marshal types, as sent for custom types and in schema tables. */
export const customTypeNames = {
  duration: 'org.apache.cassandra.db.marshal.DurationType',
  vector: 'org.apache.cassandra.db.marshal.VectorType',
} as const;

const MARSHAL = 'org.apache.cassandra.db.marshal.';

const fqSimple: Readonly<Record<string, number>> = {
  UTF8Type: dataTypes.varchar,
  AsciiType: dataTypes.ascii,
  UUIDType: dataTypes.uuid,
  TimeUUIDType: dataTypes.timeuuid,
  Int32Type: dataTypes.int,
  BytesType: dataTypes.blob,
  FloatType: dataTypes.float,
  DoubleType: dataTypes.double,
  BooleanType: dataTypes.boolean,
  InetAddressType: dataTypes.inet,
  SimpleDateType: dataTypes.date,
  TimeType: dataTypes.time,
  ShortType: dataTypes.smallint,
  ByteType: dataTypes.tinyint,
  DateType: dataTypes.timestamp,
  TimestampType: dataTypes.timestamp,
  LongType: dataTypes.bigint,
  DecimalType: dataTypes.decimal,
  IntegerType: dataTypes.varint,
  CounterColumnType: dataTypes.counter,
  DurationType: dataTypes.duration,
};

const fqByCode: Readonly<Record<number, string>> = {
  [dataTypes.ascii]: 'AsciiType',
  [dataTypes.bigint]: 'LongType',
  [dataTypes.blob]: 'BytesType',
  [dataTypes.boolean]: 'BooleanType',
  [dataTypes.counter]: 'CounterColumnType',
  [dataTypes.decimal]: 'DecimalType',
  [dataTypes.double]: 'DoubleType',
  [dataTypes.float]: 'FloatType',
  [dataTypes.int]: 'Int32Type',
  [dataTypes.text]: 'UTF8Type',
  [dataTypes.timestamp]: 'TimestampType',
  [dataTypes.uuid]: 'UUIDType',
  [dataTypes.varchar]: 'UTF8Type',
  [dataTypes.varint]: 'IntegerType',
  [dataTypes.timeuuid]: 'TimeUUIDType',
  [dataTypes.inet]: 'InetAddressType',
  [dataTypes.date]: 'SimpleDateType',
  [dataTypes.time]: 'TimeType',
  [dataTypes.smallint]: 'ShortType',
  [dataTypes.tinyint]: 'ByteType',
  [dataTypes.duration]: 'DurationType',
};

const namesByCode: Readonly<Record<number, string>> = (() => {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(dataTypes)) out[v] = k;
  return out;
})();

/** A vector descriptor (custom type with `customTypeName: 'vector'`). */
export function vectorType(subtype: DataType, dimension: number): DataType {
  const info: VectorInfo = { subtype, dimension };
  return { code: dataTypes.custom, info, customTypeName: 'vector' };
}

/**
 * The subtype and dimension of a vector descriptor, or null when `t` is not a vector. Also accepts the
 * `cassandra-driver` shape (`info: [subtype, dimension]`), so hints written for that driver work.
 */
export function getVectorInfo(t: DataType): VectorInfo | null {
  if (t.code !== dataTypes.custom) return null;
  const info = t.info;
  if (t.customTypeName === 'vector' && info !== null && typeof info === 'object') {
    if (Array.isArray(info)) {
      const arr = info as unknown[];
      return { subtype: arr[0] as DataType, dimension: arr[1] as number };
    }
    return info as VectorInfo;
  }
  return null;
}

/**
 * The CQL name of a type, as `cassandra-driver`'s `getDataTypeNameByCode`: `'int'`, `'list<int>'`,
 * `'map<text, int>'`, `'vector<float, 3>'`; a UDT gives its name. ArgumentError for an unknown code.
 */
export function getDataTypeNameByCode(item: DataType): string {
  if (!item || typeof item.code !== 'number') throw new ArgumentError('Invalid signature type definition');
  const name = namesByCode[item.code];
  if (name === undefined) throw new ArgumentError(`Type with code ${item.code} not found`);
  if (!item.info) return name;
  const vec = getVectorInfo(item);
  if (vec !== null) return `vector<${getDataTypeNameByCode(vec.subtype)}, ${vec.dimension}>`;
  if (Array.isArray(item.info)) return `${name}<${item.info.map((t) => getDataTypeNameByCode(t)).join(', ')}>`;
  if (typeof item.info === 'object' && typeof (item.info as DataType).code === 'number') {
    return `${name}<${getDataTypeNameByCode(item.info as DataType)}>`;
  }
  if (item.code === dataTypes.udt) return (item.info as UdtInfo).name;
  return name;
}

/** Splits `s` at top-level commas (brackets `open`/`close` nest). */
function splitParams(s: string, open: string, close: string): string[] {
  const out: string[] = [];
  let level = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === open) level++;
    else if (c === close) level--;
    else if (c === ',' && level === 0) {
      out.push(s.substring(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.substring(start).trim());
  return out;
}

function innerOf(s: string, prefix: string): string | null {
  if (s.startsWith(prefix) && s.endsWith('>')) return s.substring(prefix.length, s.length - 1).trim();
  return null;
}

/**
 * Parses a CQL type name given as a hint: `'int'`, `'map<text, int>'`, `'frozen<list<int>>'`,
 * `'tuple<int, text>'`, `'vector<float, 3>'`, or a marshal class name. A UDT cannot be resolved from its
 * name alone (its fields are unknown): TypeError (as cassandra-driver), as for any name that is not a type.
 */
export function parseTypeName(s: string): DataType {
  if (typeof s !== 'string') throw new ArgumentError(`Data type name must be a string, obtained ${typeof s}`);
  const trimmed = s.trim();
  if (trimmed.startsWith(MARSHAL)) return parseFqTypeName(trimmed);
  const name = trimmed.toLowerCase();
  let inner = innerOf(name, 'frozen<');
  if (inner !== null) return parseTypeName(inner);
  inner = innerOf(name, 'list<');
  if (inner !== null) return { code: dataTypes.list, info: parseTypeName(inner) };
  inner = innerOf(name, 'set<');
  if (inner !== null) return { code: dataTypes.set, info: parseTypeName(inner) };
  inner = innerOf(name, 'map<');
  if (inner !== null) {
    const p = splitParams(inner, '<', '>');
    if (p.length !== 2) throw new TypeError(`Data type with name ${s} not valid`);
    return { code: dataTypes.map, info: [parseTypeName(p[0]!), parseTypeName(p[1]!)] };
  }
  inner = innerOf(name, 'tuple<');
  if (inner !== null) {
    return { code: dataTypes.tuple, info: splitParams(inner, '<', '>').map((x) => parseTypeName(x)) };
  }
  inner = innerOf(name, 'vector<');
  if (inner !== null) {
    const p = splitParams(inner, '<', '>');
    const dim = p.length === 2 && /^\d+$/.test(p[1]!) ? parseInt(p[1]!, 10) : -1;
    if (dim <= 0) throw new TypeError(`Data type with name ${s} not valid`);
    return vectorType(parseTypeName(p[0]!), dim);
  }
  const code = (dataTypes as Record<string, number>)[name];
  if (typeof code !== 'number' || name === 'udt' || name === 'tuple' || name === 'list' || name === 'set' || name === 'map') {
    throw new TypeError(`Data type with name ${s} not valid`);
  }
  return { code, info: null };
}

/** Index of the `)` matching the `(` at `open`. */
function closing(s: string, open: number): number {
  let level = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(') level++;
    else if (s[i] === ')' && --level === 0) return i;
  }
  return -1;
}

/**
 * Parses a marshal class name as Cassandra writes it for custom types and in schema tables
 * (`org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)`).
 * Unknown classes stay custom types whose `info` is the class name.
 */
export function parseFqTypeName(s: string): DataType {
  const name = s.trim();
  const paren = name.indexOf('(');
  const cls = paren < 0 ? name : name.substring(0, paren);
  const short = cls.startsWith(MARSHAL) ? cls.substring(MARSHAL.length) : null;
  if (short === null || (paren >= 0 && closing(name, paren) !== name.length - 1)) {
    return { code: dataTypes.custom, info: name };
  }
  const args = paren < 0 ? [] : splitParams(name.substring(paren + 1, name.length - 1), '(', ')');
  switch (short) {
    case 'ReversedType':
    case 'FrozenType':
      if (args.length === 1) return parseFqTypeName(args[0]!);
      break;
    case 'ListType':
    case 'SetType':
      if (args.length === 1) {
        return { code: short === 'ListType' ? dataTypes.list : dataTypes.set, info: parseFqTypeName(args[0]!) };
      }
      break;
    case 'MapType':
      if (args.length === 2) return { code: dataTypes.map, info: [parseFqTypeName(args[0]!), parseFqTypeName(args[1]!)] };
      break;
    case 'TupleType':
      if (args.length >= 1) return { code: dataTypes.tuple, info: args.map((a) => parseFqTypeName(a)) };
      break;
    case 'UserType':
      if (args.length >= 2) {
        const info: UdtInfo = { keyspace: args[0]!, name: Buffer.from(args[1]!, 'hex').toString(), fields: [] };
        for (let i = 2; i < args.length; i++) {
          const sep = args[i]!.indexOf(':');
          info.fields.push({
            name: Buffer.from(args[i]!.substring(0, sep), 'hex').toString(),
            type: parseFqTypeName(args[i]!.substring(sep + 1)),
          });
        }
        return { code: dataTypes.udt, info };
      }
      break;
    case 'VectorType':
      if (args.length === 2 && /^\d+$/.test(args[1]!)) return vectorType(parseFqTypeName(args[0]!), parseInt(args[1]!, 10));
      break;
    default: {
      const code = paren < 0 ? fqSimple[short] : undefined;
      if (code !== undefined) return { code, info: null };
    }
  }
  return { code: dataTypes.custom, info: name };
}

/** The marshal class name of a type (the inverse of {@link parseFqTypeName}). */
export function fqTypeName(t: DataType): string {
  const vec = getVectorInfo(t);
  if (vec !== null) return `${customTypeNames.vector}(${fqTypeName(vec.subtype)},${vec.dimension})`;
  switch (t.code) {
    case dataTypes.custom:
      return typeof t.info === 'string' ? t.info : `${MARSHAL}BytesType`;
    case dataTypes.list:
      return `${MARSHAL}ListType(${fqTypeName(t.info as DataType)})`;
    case dataTypes.set:
      return `${MARSHAL}SetType(${fqTypeName(t.info as DataType)})`;
    case dataTypes.map: {
      const [k, v] = t.info as DataType[];
      return `${MARSHAL}MapType(${fqTypeName(k!)},${fqTypeName(v!)})`;
    }
    case dataTypes.tuple:
      return `${MARSHAL}TupleType(${(t.info as DataType[]).map(fqTypeName).join(',')})`;
    case dataTypes.udt: {
      const u = t.info as UdtInfo;
      const fields = u.fields.map((f) => `${Buffer.from(f.name).toString('hex')}:${fqTypeName(f.type)}`);
      return `${MARSHAL}UserType(${[u.keyspace, Buffer.from(u.name).toString('hex'), ...fields].join(',')})`;
    }
    default: {
      const n = fqByCode[t.code];
      if (n === undefined) throw new ArgumentError(`Type with code ${t.code} not found`);
      return MARSHAL + n;
    }
  }
}

/** Turns a `cassandra-driver`-style hint (a type code, a type name or a descriptor) into a descriptor. */
export function toDataType(hint: number | string | DataType): DataType {
  if (typeof hint === 'number') {
    if (namesByCode[hint] === undefined) throw new ArgumentError(`Type with code ${hint} not found`);
    return { code: hint, info: null };
  }
  if (typeof hint === 'string') return parseTypeName(hint);
  if (hint !== null && typeof hint === 'object' && typeof hint.code === 'number') return hint;
  throw new ArgumentError('Type information not valid, only String and Number values are valid hints');
}
