/**
 * Provisioning never removes what it does not name: its state is laid over the current
 * configuration (`sysdb export` of the same tables) per row and, for one-row tables, per column.
 * A column the file names replaces the row's value (a set column such as authorized_keys too); rows
 * and columns it does not name keep theirs. The result is complete for its tables, as apply wants.
 */
export function mergeState(current: Record<string, unknown>, provision: Record<string, unknown>, singletons: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [table, body] of Object.entries(provision)) {
    const now = (current[table] ?? {}) as Record<string, unknown>;
    const wanted = body as Record<string, unknown>;
    if (singletons.has(table)) out[table] = { ...now, ...wanted };
    else {
      const rows: Record<string, unknown> = { ...now };
      for (const [row, cols] of Object.entries(wanted)) rows[row] = { ...((now[row] ?? {}) as object), ...(cols as object) };
      out[table] = rows;
    }
  }
  return out;
}
