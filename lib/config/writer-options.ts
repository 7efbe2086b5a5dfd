// A writer node's options may use {{ var }} in any string (say `hostname: "{{ hostname }}"`), so a
// value the tree already declares is written once. Its vars: the tree's, overridden by the node's.
// The rendered block is then checked against the writer's own schema and its semantic checks, so
// nothing the writer would refuse ten minutes into a build passes the loader.
import { resolveLayout, validateHostname, type WriterLayoutConfig } from '../writer/writer-options.js';
import { WriterError } from '../writer/writer-error.js';
import { pointerEscape } from './hjson-positions.js';
import { pointerLabel, type Problems, type SourceFile } from './problems.js';
import type { Scalar } from './raw-types.js';
import { checkWriterSchema } from './schema-check.js';
import { checkTemplate, render } from './template.js';
import type { NodeEntry } from './tree-nodes.js';

export function writerOptions(e: NodeEntry, treeVars: Record<string, Scalar>, src: SourceFile, problems: Problems): Record<string, unknown> {
  const vars = Object.fromEntries(Object.entries({ ...treeVars, ...(e.raw.vars ?? {}) }).map(([k, v]) => [k, String(v)]));
  const known = new Set(Object.keys(vars));
  const base = `${e.pointer}/writer`;
  const unrendered: string[] = []; // values with a template problem: already reported
  const walk = (value: unknown, pointer: string): unknown => {
    if (typeof value === 'string') {
      const where = `node "${e.name}": ${pointerLabel(pointer.slice(e.pointer.length))}`;
      let ok = true;
      const t = checkTemplate(
        value,
        known,
        (m, at) => {
          ok = false;
          problems.inValue(src, pointer, at, `${where}: ${m}`);
        },
        ": set it in the tree's or the node's vars",
      );
      if (!ok) unrendered.push(pointer);
      return ok ? render(t, vars) : value;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${pointer}/${i}`));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${pointer}/${pointerEscape(k)}`)]));
    return value;
  };
  const options = walk(e.raw.writer, base) as Record<string, unknown>;
  // Every problem at once: the schema checks the whole block, but says nothing more about a value
  // whose placeholder was already reported; the semantic checks see the block without the values
  // found bad (the writer's defaults stand in for them).
  const within = (p: string, at: string) => p === at || p.startsWith(`${at}/`);
  const reported = (p: string) => unrendered.some((u) => within(p, u));
  const bad = [...unrendered, ...checkWriterSchema({ data: options, src, base, label: `node "${e.name}": writer`, reported }, problems)];
  if (typeof options === 'object' && options !== null && !Array.isArray(options)) {
    const pruned = structuredClone(options);
    for (const p of bad) if (p !== base && p.startsWith(`${base}/`)) drop(pruned, p.slice(base.length + 1).split('/'));
    semantic(pruned, e, src, base, problems);
  }
  return options;
}

/** Deletes the value at a (JSON pointer) path, when there is one. */
function drop(data: unknown, path: string[]): boolean {
  let at = data;
  for (const k of path.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return false;
    at = (at as Record<string, unknown>)[k.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (typeof at !== 'object' || at === null) return false;
  const last = path[path.length - 1].replace(/~1/g, '/').replace(/~0/g, '~');
  if (!(last in at)) return false;
  delete (at as Record<string, unknown>)[last];
  return true;
}

/**
 * What the schema cannot say (a whole number of MiB), from the writer's own checks. The writer
 * stops at its first complaint: the option it names is dropped and the rest checked again.
 */
function semantic(options: Record<string, unknown>, e: NodeEntry, src: SourceFile, base: string, problems: Problems): void {
  const check = (f: () => unknown): boolean => {
    try {
      f();
      return true;
    } catch (err) {
      if (!(err instanceof WriterError)) throw err;
      // the writer names the option first ("layout.alignment must be ..."): point at it
      const field = /^(layout(?:\.\w+)+|hostname)/.exec(err.message)?.[1];
      problems.at(src, field ? `${base}/${field.replace(/\./g, '/')}` : base, `node "${e.name}": writer.${err.message}`);
      return !field || !drop(options, field.split('.')); // done unless another option is left to check
    }
  };
  while (!check(() => resolveLayout(options.layout as WriterLayoutConfig | undefined)));
  if (typeof options.hostname === 'string') check(() => validateHostname(options.hostname as string));
}
