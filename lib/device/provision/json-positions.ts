import { positionOf, type Position } from './source.js';

/**
 * Where each object key of a (valid) JSON text stands, by path ("wifi/home/passphrase"): JSON.parse
 * gives values only, and a bad value must be reported at its key.
 */
export function jsonKeyPositions(text: string): Map<string, Position> {
  const out = new Map<string, Position>();
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    if (text[i] === '{') {
      i++;
      for (ws(); i < text.length && text[i] !== '}'; ws()) {
        if (text[i] === ',') {
          i++;
          continue;
        }
        const at = i;
        const key = str();
        const p = path ? `${path}/${key}` : key;
        out.set(p, positionOf(text, at));
        ws();
        i++; // ':'
        value(p);
      }
      i++;
    } else if (text[i] === '[') {
      i++;
      for (ws(); i < text.length && text[i] !== ']'; ws()) {
        if (text[i] === ',') i++;
        else value(path);
      }
      i++;
    } else if (text[i] === '"') str();
    else while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
  };
  value('');
  return out;
}

/** JSON.parse's error position: "at position N" (Node 20) or "(line L column C)" (Node 22). */
export function jsonErrorPosition(text: string, message: string): Position {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /position (\d+)/.exec(message);
  if (pos) return positionOf(text, Number(pos[1]));
  return /end of JSON input/.test(message) ? positionOf(text, text.length) : {};
}
