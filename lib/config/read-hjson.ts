import Hjson from 'hjson';
import { mapPositions, pointerEscape, type Pos } from './hjson-positions.js';
import { PathProblem, readRegularFile } from './path-kind.js';
import type { Problems, SourceFile } from './problems.js';

/** Reads and parses one hjson file; on failure records the problem and returns undefined. */
export function readHjson(file: string, problems: Problems): SourceFile | undefined {
  let text: string;
  try {
    text = readRegularFile(file).toString('utf8');
  } catch (e) {
    if (!(e instanceof PathProblem)) throw e;
    problems.add(file, undefined, e.notFound ? 'file not found' : e.message);
    return undefined;
  }
  // Editors on Windows save UTF-8 with a byte order mark; it is not part of the content.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Hjson takes a NUL as part of an unquoted value: a binary file would "parse".
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    problems.add(file, posOf(text, nul), 'NUL byte: this is not a text file');
    return undefined;
  }
  let data: unknown;
  try {
    data = Hjson.parse(text);
  } catch (e) {
    // hjson's parser recurses: thousands of open brackets overflow the stack
    if (e instanceof RangeError) problems.add(file, undefined, 'hjson syntax error: nested too deeply to parse');
    else problems.add(file, ...syntaxProblem(e instanceof Error ? e.message : String(e)));
    return undefined;
  }
  const positions = mapPositions(text);
  // Schema checks and the loader recurse along the data: bound it before they see it.
  const deep = tooDeep(data, MAX_DEPTH);
  if (deep !== undefined) {
    problems.at({ file, text, data, positions }, deep, `nested more than ${MAX_DEPTH} levels deep`);
    return undefined;
  }
  for (const d of positions.duplicates) {
    problems.add(file, d.key, `duplicate key "${d.pointer.slice(d.pointer.lastIndexOf('/') + 1)}" (first at line ${d.first.line})`);
  }
  return { file, text, data, positions };
}

const MAX_DEPTH = 64;

/** The JSON pointer of the first value nested deeper than `limit`, found without recursion. */
function tooDeep(data: unknown, limit: number): string | undefined {
  const stack: [unknown, string, number][] = [[data, '', 0]];
  while (stack.length) {
    const [v, ptr, depth] = stack.pop() as [unknown, string, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return ptr;
    for (const [k, x] of Object.entries(v)) stack.push([x, `${ptr}/${pointerEscape(k)}`, depth + 1]);
  }
  return undefined;
}

function posOf(text: string, index: number): Pos {
  const before = text.slice(0, index);
  return { line: (before.match(/\n/g)?.length ?? 0) + 1, col: index - before.lastIndexOf('\n') };
}

/** Hjson says "... at line 4,1 >>> context": keep the message, lift the position out of it. */
function syntaxProblem(message: string): [{ line: number; col: number } | undefined, string] {
  const m = /^(.*?)\s+at line (\d+),(\d+)\s*(?:>>>\s*([\s\S]*))?$/.exec(message);
  if (!m) return [undefined, `hjson syntax error: ${message}`];
  const near = (m[4] ?? '')
    .split('\n')[0]
    .replace(/\s*\.\.\.$/, '')
    .trim();
  return [{ line: Number(m[2]), col: Number(m[3]) }, `hjson syntax error: ${m[1]}${near ? ` (near "${near}")` : ''}`];
}
