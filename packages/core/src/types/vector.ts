import { types as utilTypes } from 'node:util';

const isIndex = (key: string | symbol): key is string => typeof key === 'string' && Number.isInteger(Number(key));

/**
 * A CQL vector value (Cassandra 5 `vector<subtype, n>`), as `cassandra-driver`'s `types.Vector`: element
 * access by index (`v[0]`), `length`, iteration. Like that class the instance is a Proxy, and
 * `x instanceof Vector` is also true for a `Float32Array` (both are accepted where a vector is expected).
 */
export class Vector {
  // Element types and `subtype` as cassandra-driver declares them (`any`, `string`), so code written against
  // its declarations compiles unchanged; `subtype` is undefined at run time when not given, in both drivers.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Vector declares it
  [index: number]: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Vector declares it
  elements: any[];
  length: number;
  subtype: string;

  constructor(elements: Float32Array | unknown[], subtype?: string | null) {
    if (elements instanceof Float32Array) this.elements = Array.from(elements);
    else if (Array.isArray(elements)) this.elements = elements;
    else throw new TypeError('Vector must be constructed with a Float32Array or an Array');
    if (this.elements.length === 0) throw new TypeError('Vector must contain at least one value');
    this.length = this.elements.length;
    this.subtype = subtype as string;
    const own = this.elements;
    return new Proxy(this, {
      get(obj, key) {
        if (key === 'IDENTITY') return 'Vector';
        if (isIndex(key)) return obj.elements[Number(key)];
        return (obj as unknown as Record<string | symbol, unknown>)[key];
      },
      set(obj, key, value) {
        if (isIndex(key)) obj.elements[Number(key)] = value;
        else (obj as unknown as Record<string | symbol, unknown>)[key] = value;
        return true;
      },
      ownKeys() {
        return Reflect.ownKeys(own);
      },
      getOwnPropertyDescriptor(target, key) {
        if (isIndex(key)) return { enumerable: true, configurable: true };
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return (utilTypes.isProxy(value) && (value as { IDENTITY?: unknown }).IDENTITY === 'Vector') || value instanceof Float32Array;
  }

  toString(): string {
    return `[${this.elements.toString()}]`;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Vector declares it
  at(index: number): any {
    return this.elements[index];
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Vector declares it
  [Symbol.iterator](): IterableIterator<any> {
    return this.elements[Symbol.iterator]();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Vector declares it
  forEach(callback: (value: any, index: number, array: any[]) => void): void {
    this.elements.forEach(callback);
  }

  getSubtype(): string | null {
    return this.subtype;
  }
}
