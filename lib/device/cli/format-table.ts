import type { Row, Value } from '../ovsdb/datum.js';

function cell(v: Value | undefined): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Plain aligned columns, like ovs-vsctl list's human output but one row per line. */
export function formatTable(columns: string[], rows: Row[]): string {
  const grid = [columns, ...rows.map((r) => columns.map((c) => cell(r[c])))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i].length)));
  return grid
    .map((line) =>
      line
        .map((s, i) => s.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
