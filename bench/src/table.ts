// A plain-text table for the CLIs' summaries: the first `left` columns left-aligned, the others right-aligned.

export type Column<R> = [header: string, cell: (row: R) => string];

export function printTable<R>(cols: Column<R>[], rows: R[], left = 2): void {
  const cells = rows.map((r) => cols.map(([, f]) => f(r)));
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (c: string[]): string => c.map((v, i) => (i < left ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(fmt(cols.map(([h]) => h)));
  for (const c of cells) console.log(fmt(c));
}
