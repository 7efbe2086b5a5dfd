import { readFileSync } from 'node:fs';
import Hjson from 'hjson';
import { mapPositions } from './hjson-positions.js';
import type { Problems, SourceFile } from './problems.js';

/** Reads and parses one hjson file; on failure records the problem and returns undefined. */
export function readHjson(file: string, problems: Problems): SourceFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.add(file, undefined, code === 'ENOENT' ? 'file not found' : `cannot read: ${(e as Error).message}`);
    return undefined;
  }
  let data: unknown;
  try {
    data = Hjson.parse(text);
  } catch (e) {
    problems.add(file, ...syntaxProblem((e as Error).message));
    return undefined;
  }
  const positions = mapPositions(text);
  for (const d of positions.duplicates) {
    problems.add(file, d.key, `duplicate key "${d.pointer.slice(d.pointer.lastIndexOf('/') + 1)}" (first at line ${d.first.line})`);
  }
  return { file, data, positions };
}

/** Hjson says "... at line 4,1 >>> context": keep the message, lift the position out of it. */
function syntaxProblem(message: string): [{ line: number; col: number } | undefined, string] {
  const m = /^(.*?)\s+at line (\d+),(\d+)\s*(?:>>>\s*([\s\S]*))?$/.exec(message);
  if (!m) return [undefined, `hjson syntax error: ${message}`];
  const near = (m[4] ?? '').split('\n')[0].replace(/\s*\.\.\.$/, '').trim();
  return [
    { line: Number(m[2]), col: Number(m[3]) },
    `hjson syntax error: ${m[1]}${near ? ` (near "${near}")` : ''}`,
  ];
}
