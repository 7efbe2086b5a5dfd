// A template problem is found in a string's decoded text (line:col inside the value), but the user
// needs it in the file. This walks the value's source form once — a '''-block with its indent
// stripped, a quoted string with escapes, or a quoteless string — to translate the position.
import type { Pos } from './hjson-positions.js';

export function positionInValue(text: string, value: Pos, inner: Pos): Pos {
  let i = indexOf(text, value);
  if (i < 0) return value;
  let line = value.line;
  let col = value.col;
  const step = (n: number) => {
    for (let k = 0; k < n && i < text.length; k++, i++) {
      if (text[i] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
  };
  const block = text.startsWith("'''", i);
  const quote = !block && (text[i] === '"' || text[i] === "'") ? text[i] : undefined;
  const indent = value.col - 1;
  if (block) {
    step(3);
    // hjson drops whitespace up to the first newline after the opening quotes
    let j = i;
    while (text[j] === ' ' || text[j] === '\t' || text[j] === '\r') j++;
    if (text[j] === '\n') step(j + 1 - i);
  } else if (quote) step(1);
  const stripIndent = () => {
    for (let k = 0; k < indent && (text[i] === ' ' || text[i] === '\t'); k++) step(1);
  };
  if (block && col === 1) stripIndent();
  let dl = 1;
  let dc = 1;
  while (i < text.length && (dl < inner.line || (dl === inner.line && dc < inner.col))) {
    const c = text[i];
    if (quote && c === quote) break;
    if (block && text.startsWith("'''", i)) break;
    if (!block && !quote && c === '\n') break;
    if (quote && c === '\\') {
      const esc = text[i + 1];
      step(esc === 'u' ? 6 : 2);
      if (esc === 'n') {
        dl++;
        dc = 1;
      } else dc++;
      continue;
    }
    step(1);
    if (c === '\n') {
      dl++;
      dc = 1;
      if (block) stripIndent();
    } else dc++;
  }
  return { line, col };
}

function indexOf(text: string, pos: Pos): number {
  let i = 0;
  for (let l = 1; l < pos.line; l++) {
    i = text.indexOf('\n', i) + 1;
    if (i === 0) return -1;
  }
  return i + pos.col - 1;
}
