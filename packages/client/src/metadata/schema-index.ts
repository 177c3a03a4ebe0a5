/** A secondary index (cassandra-driver `metadata~Index`), from a system_schema.indexes row. */

/** Index kinds, as system_schema.indexes `kind` (lower-cased) maps them. */
export const indexKind = { custom: 0, keys: 1, composites: 2 } as const;

export class Index {
  name: string;
  /** The indexed column or expression (`keys(m)`, `entries(m)`, `full(l)`, `v`). */
  target: string;
  /** 0 custom, 1 keys, 2 composites. */
  kind: number;
  options: Record<string, string>;

  constructor(name: string, target: string, kind: number | string | null, options: Record<string, string>) {
    this.name = name;
    this.target = target;
    this.kind = typeof kind === 'number' ? kind : kindByName(kind);
    this.options = options;
  }

  isCompositesKind(): boolean {
    return this.kind === indexKind.composites;
  }

  isKeysKind(): boolean {
    return this.kind === indexKind.keys;
  }

  isCustomKind(): boolean {
    return this.kind === indexKind.custom;
  }
}

function kindByName(name: string | null): number {
  if (!name) return indexKind.custom;
  const k = (indexKind as Record<string, number>)[name.toLowerCase()];
  return k ?? indexKind.custom;
}
