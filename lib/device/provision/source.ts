// What a format parser hands read-provision.ts: Sysdb column assignments, each remembering the key
// it came from and where that key stands in its file, so a bad value is reported at the key.

export interface ProvisionProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface Position {
  line?: number;
  column?: number;
}

/** One column of one row: `row` is the row's name (SSID, user name), absent for the System table. */
export interface Assignment {
  file: string;
  table: string;
  row?: string;
  column: string;
  value: unknown;
  /** the key as the file spells it (wlan.country), shown before the message */
  key: string;
  at: Position;
}

/** A key the file sets that this device does not honour, and why. */
export interface Refusal {
  file: string;
  key: string;
  reason: string;
  at: Position;
}

export interface FormatResult {
  assignments: Assignment[];
  refused: Refusal[];
  problems: ProvisionProblem[];
}

export function formatProblem(p: ProvisionProblem): string {
  const where = p.line === undefined ? p.file : p.column === undefined ? `${p.file}:${p.line}` : `${p.file}:${p.line}:${p.column}`;
  return `${where}: ${p.message}`;
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}
