// Collects every problem of one load so the user sees them all at once, not one per rerun.
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { PositionMap, Pos } from './hjson-positions.js';
import { printable } from './printable.js';
import { positionInValue } from './value-position.js';

/** A parsed hjson file with the positions of its keys and values. */
export interface SourceFile {
  file: string;
  /** the file's text as parsed (without a byte order mark) */
  text: string;
  data: unknown;
  positions: PositionMap;
}

export class Problems {
  readonly list: ConfigProblem[] = [];

  /** Without a position (a file that cannot be read, a sysroot entry) the problem is at 1:1, so
   * every reported line reads `file:line:col: message` for editors' problem matchers. */
  add(file: string, pos: Pos | undefined, message: string): void {
    // hjson reports a syntax error at the start of a line as column 0: columns here are 1-based
    this.list.push({ file: printable(file), line: Math.max(1, pos?.line ?? 1), col: Math.max(1, pos?.col ?? 1), message: printable(message) });
  }

  /** Problem at a JSON pointer of a parsed file: the key's position, else the value's. */
  at(src: SourceFile, pointer: string, message: string, prefer: 'key' | 'value' = 'key'): void {
    this.add(src.file, locate(src, pointer, prefer), message);
  }

  /** Problem at a position inside a string value (a template placeholder), as a file position. */
  inValue(src: SourceFile, pointer: string, inner: Pos, message: string): void {
    const value = src.positions.at.get(pointer)?.value;
    this.add(src.file, value ? positionInValue(src.text, value, inner) : locate(src, pointer, 'value'), message);
  }

  get size(): number {
    return this.list.length;
  }

  throwIfAny(): void {
    if (!this.list.length) return;
    // stable: by file, then line, so the output reads top to bottom per file
    const sorted = this.list
      .map((p, i) => ({ p, i }))
      .sort((a, b) =>
        a.p.file !== b.p.file ? (a.p.file < b.p.file ? -1 : 1) : (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.col ?? 0) - (b.p.col ?? 0) || a.i - b.i,
      )
      .map((x) => x.p);
    throw new ConfigError(sorted);
  }
}

/** Nearest known position: walks up the pointer until a recorded one is found. */
export function locate(src: SourceFile, pointer: string, prefer: 'key' | 'value' = 'key'): Pos | undefined {
  let p = pointer;
  for (;;) {
    const hit = src.positions.at.get(p);
    if (hit) return prefer === 'key' ? (hit.key ?? hit.value) : hit.value;
    if (!p) return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

/** "/stalks/base/needs/0" -> "stalks.base.needs[0]" for messages. */
export function pointerLabel(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');
}
