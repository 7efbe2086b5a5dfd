// A writer node's options may use {{ var }} in any string (say `hostname: "{{ hostname }}"`), so a
// value the tree already declares is written once. Its vars: the tree's, overridden by the node's.
import { pointerEscape } from './hjson-positions.js';
import { pointerLabel, type Problems, type SourceFile } from './problems.js';
import type { Scalar } from './raw-types.js';
import { checkTemplate, render } from './template.js';
import type { NodeEntry } from './tree-nodes.js';

export function writerOptions(
  e: NodeEntry,
  treeVars: Record<string, Scalar>,
  src: SourceFile,
  problems: Problems,
): Record<string, unknown> {
  const vars = Object.fromEntries(Object.entries({ ...treeVars, ...(e.raw.vars ?? {}) }).map(([k, v]) => [k, String(v)]));
  const known = new Set(Object.keys(vars));
  const walk = (value: unknown, pointer: string): unknown => {
    if (typeof value === 'string') {
      const where = `node "${e.name}": ${pointerLabel(pointer.slice(e.pointer.length))}`;
      let bad = false;
      const t = checkTemplate(value, known, (m) => {
        bad = true;
        problems.at(src, pointer, `${where}: ${m}`, 'value');
      }, ": set it in the tree's or the node's vars");
      return bad ? value : render(t, vars);
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${pointer}/${i}`));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${pointer}/${pointerEscape(k)}`)]));
    return value;
  };
  return walk(e.raw.writer, `${e.pointer}/writer`) as Record<string, unknown>;
}
