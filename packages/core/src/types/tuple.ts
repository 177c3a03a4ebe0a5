/** A CQL tuple value, as `cassandra-driver`'s `types.Tuple`. */
export class Tuple {
  /** `any` as cassandra-driver declares it, so element reads need no casts. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Tuple declares it
  elements: any[];
  length: number;

  constructor(...args: unknown[]) {
    if (args.length === 0) throw new TypeError('Tuple must contain at least one value');
    this.elements = args;
    this.length = args.length;
  }

  static fromArray(elements: readonly unknown[]): Tuple {
    return new Tuple(...elements);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Tuple declares it
  get(index: number): any {
    return this.elements[index || 0];
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as cassandra-driver's types.Tuple declares it
  values(): any[] {
    return this.elements.slice(0);
  }

  toString(): string {
    let s = '(';
    for (let i = 0; i < this.elements.length; i++) s += (i > 0 ? ',' : '') + String(this.elements[i]);
    return `${s})`;
  }

  toJSON(): unknown[] {
    return this.elements;
  }
}
