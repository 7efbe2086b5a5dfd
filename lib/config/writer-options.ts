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
  let bad = false;
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
      bad ||= !ok;
      return ok ? render(t, vars) : value;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${pointer}/${i}`));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${pointer}/${pointerEscape(k)}`)]));
    return value;
  };
  const options = walk(e.raw.writer, base) as Record<string, unknown>;
  // an unrendered placeholder would only add a second problem about the same value
  if (!bad && !checkWriterSchema(options, src, base, `node "${e.name}": writer`, problems).length) semantic(options, e, src, base, problems);
  return options;
}

/** What the schema cannot say (a whole number of MiB), from the writer's own checks. */
function semantic(options: Record<string, unknown>, e: NodeEntry, src: SourceFile, base: string, problems: Problems): void {
  const tryIt = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      if (!(err instanceof WriterError)) throw err;
      // the writer names the option first ("layout.alignment must be ..."): point at it
      const field = /^(layout(?:\.\w+)+|hostname)/.exec(err.message)?.[1];
      problems.at(src, field ? `${base}/${field.replace(/\./g, '/')}` : base, `node "${e.name}": writer.${err.message}`);
    }
  };
  tryIt(() => resolveLayout(options.layout as WriterLayoutConfig | undefined));
  if (typeof options.hostname === 'string') tryIt(() => validateHostname(options.hostname as string));
}
