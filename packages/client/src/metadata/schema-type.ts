/**
 * CQL type names as system_schema writes them (`frozen<list<int>>`, `map<text, frozen<address>>`,
 * `"MyType"`, `'org.apache.cassandra.db.marshal.X'`) -> type descriptors shaped as cassandra-driver's
 * schema parser gives them: `{ code, info }`, plus `options: { frozen }` on collections, tuples and UDTs.
 * Native types go through core's `parseTypeName`; UDTs are resolved by the caller (their fields live in
 * system_schema.types).
 */
import { ArgumentError, dataTypes, parseTypeName, vectorType, type DataType } from '@shardcql/core';

/** A column type: core's descriptor plus the `frozen` flag cassandra-driver sets on non-native types. */
export interface SchemaDataType extends DataType {
  options?: { frozen: boolean; reversed?: boolean };
}

/** Looks a UDT up by keyspace and name; null when there is none. */
export type UdtResolver = (keyspace: string, name: string) => Promise<SchemaDataType['info'] | null>;

/** Splits `s` at commas outside angle brackets and quotes. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let level = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '<') level++;
    else if (c === '>') level--;
    else if (c === ',' && level === 0) {
      out.push(s.substring(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.substring(start).trim());
  return out;
}

/** The text between `prefix<` and the final `>`, or null. Case-sensitive: system_schema writes lower case. */
function inner(s: string, prefix: string): string | null {
  return s.startsWith(prefix + '<') && s.endsWith('>') ? s.substring(prefix.length + 1, s.length - 1).trim() : null;
}

/**
 * Parses one type name of keyspace `keyspace`. TypeError (as cassandra-driver) for a name that is neither
 * a native type nor a known UDT.
 */
export async function parseSchemaType(keyspace: string, typeName: string, resolveUdt: UdtResolver): Promise<SchemaDataType> {
  let name = typeName.trim();
  if (name.startsWith("'") && name.endsWith("'")) return { code: dataTypes.custom, info: name.substring(1, name.length - 1) };
  let frozen = false;
  const f = inner(name, 'frozen');
  if (f !== null) {
    frozen = true;
    name = f;
  }
  let x = inner(name, 'list');
  if (x !== null) return { code: dataTypes.list, info: await parseSchemaType(keyspace, x, resolveUdt), options: { frozen } };
  x = inner(name, 'set');
  if (x !== null) return { code: dataTypes.set, info: await parseSchemaType(keyspace, x, resolveUdt), options: { frozen } };
  x = inner(name, 'map');
  if (x !== null) {
    const p = splitTop(x);
    if (p.length !== 2) throw new TypeError(`Not a valid type ${typeName}`);
    return { code: dataTypes.map, info: await parseAll(keyspace, p, resolveUdt), options: { frozen } };
  }
  x = inner(name, 'tuple');
  if (x !== null) return { code: dataTypes.tuple, info: await parseAll(keyspace, splitTop(x), resolveUdt), options: { frozen } };
  x = inner(name, 'vector');
  if (x !== null) {
    // Core's vector shape (info {subtype, dimension}, customTypeName 'vector'); getVectorInfo reads both.
    const p = splitTop(x);
    const dim = p.length === 2 && /^\d+$/.test(p[1]!) ? parseInt(p[1]!, 10) : -1;
    if (dim <= 0) throw new TypeError(`Not a valid type ${typeName}`);
    return vectorType(await parseSchemaType(keyspace, p[0]!, resolveUdt), dim);
  }
  const quoted = name.startsWith('"') && name.endsWith('"') && name.length >= 2;
  if (quoted) name = name.substring(1, name.length - 1).replace(/""/g, '"');
  if (!quoted) {
    if (name === 'empty') return { code: dataTypes.custom, info: 'empty' };
    try {
      return parseTypeName(name);
    } catch (err) {
      // Not a type name (TypeError, as cassandra-driver's getByName): a UDT's name then.
      if (!(err instanceof TypeError) && !(err instanceof ArgumentError)) throw err;
    }
  }
  const udt = await resolveUdt(keyspace, name);
  if (udt !== null) return { code: dataTypes.udt, info: udt, options: { frozen } };
  throw new TypeError(`Not a valid type "${name}"`);
}

function parseAll(keyspace: string, names: string[], resolveUdt: UdtResolver): Promise<SchemaDataType[]> {
  return Promise.all(names.map((n) => parseSchemaType(keyspace, n, resolveUdt)));
}
