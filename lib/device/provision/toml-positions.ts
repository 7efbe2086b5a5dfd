import type { Position } from './source.js';

/**
 * Where each `key = value` of a TOML text stands, by dotted path (wlan.country), for the files
 * Imager writes: [table] headers and bare keys. smol-toml gives values only.
 */
export function tomlKeyPositions(text: string): Map<string, Position> {
  const out = new Map<string, Position>();
  let table = '';
  text.split('\n').forEach((line, i) => {
    const header = /^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]/.exec(line);
    if (header) {
      table = header[1];
      return;
    }
    const key = /^(\s*)([A-Za-z0-9_.-]+)\s*=/.exec(line);
    if (key) {
      const path = table ? `${table}.${key[2]}` : key[2];
      if (!out.has(path)) out.set(path, { line: i + 1, column: key[1].length + 1 });
    }
  });
  return out;
}
