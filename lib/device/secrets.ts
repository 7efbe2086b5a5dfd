import type { Value } from './ovsdb/datum.js';

// Columns whose values are secrets: a Wi-Fi passphrase, a password hash. They are stored in the
// database (root-only, like NetworkManager's 0600 connection files) and handed to the one program
// that needs them (the supplicant's 0600 file under /run, chpasswd's stdin), and nowhere else: not
// in `sysdb show`/`export`/`query` output unless --secrets asks, not in the audit log (an entry
// records that the value changed, never the value), not in an error message or an agent's log.
export const SECRET_COLUMNS: Record<string, string[]> = {
  Wifi: ['passphrase'],
  User: ['password_hash'],
};

/** How `show` and the audit log print a secret that is set. */
export const REDACTED = '(secret)';

/**
 * What `export`/`query` write in place of a secret; `apply` reads it as "keep the value this row has",
 * so `sysdb export | sysdb apply -` stays a no-op without the secret leaving the device.
 */
export const KEEP_SECRET = Object.freeze({ secret: 'unchanged' });

export function isSecret(table: string, column: string): boolean {
  return SECRET_COLUMNS[table]?.includes(column) ?? false;
}

export function isKeepMarker(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && (v as { secret?: unknown }).secret === 'unchanged';
}

export function hide(v: Value | undefined): Value {
  return v === null || v === undefined ? null : REDACTED;
}

/** A row with its secret columns shown as REDACTED (or as `marker`, for the apply format). */
export function redactRow<T extends Record<string, unknown>>(table: string, row: T, marker: unknown = REDACTED): T {
  const secret = SECRET_COLUMNS[table];
  if (!secret) return row;
  const out: Record<string, unknown> = { ...row };
  for (const c of secret) if (out[c] !== null && out[c] !== undefined) out[c] = marker;
  return out as T;
}
