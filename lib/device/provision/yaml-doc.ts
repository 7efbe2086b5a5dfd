import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Position, ProvisionProblem } from './source.js';

/** A YAML file's value and where each mapping key stands (by path), or its first syntax error, positioned. */
export function readYaml(file: string, text: string): { value?: unknown; at: (...path: (string | number)[]) => Position; problem?: ProvisionProblem } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const keys = new Map<string, Position>();
  const at = (...path: (string | number)[]): Position => {
    for (let n = path.length; n > 0; n--) {
      const p = keys.get(JSON.stringify(path.slice(0, n)));
      if (p) return p;
    }
    return {};
  };
  const err = doc.errors[0];
  if (err) {
    const [p] = err.linePos ?? [];
    return {
      at,
      problem: { file, line: p?.line, column: p?.col, message: `not valid YAML: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` },
    };
  }
  const walk = (node: Node | null | undefined, path: (string | number)[]) => {
    if (isMap(node))
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const p = [...path, String(pair.key.value)];
        if (pair.key.range) {
          const { line, col } = lines.linePos(pair.key.range[0]);
          keys.set(JSON.stringify(p), { line, column: col });
        }
        walk(pair.value as Node, p);
      }
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item as Node, [...path, i]));
  };
  walk(doc.contents as Node, []);
  return { value: doc.toJS(), at };
}
