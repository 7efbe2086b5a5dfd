// Applies one node's variable values to its (already checked) stalk.
import { relative } from 'node:path';
import { sha256 } from './content-hash.js';
import { pointerEscape } from './hjson-positions.js';
import type { Problems, SourceFile } from './problems.js';
import type { Scalar } from './raw-types.js';
import type { Pairs, StalkModel } from './stalk-model.js';
import { didYouMean } from './suggest.js';
import { render } from './template.js';
import type { FileInput, Mount, NodeCopy, ResolvedStep } from './types.js';
import type { NodeEntry } from './tree-nodes.js';

/** Precedence: stalk default < tree vars < node vars; only vars the stalk declares. */
export function nodeVars(
  entry: NodeEntry,
  treeVars: Record<string, Scalar>,
  stalk: StalkModel,
  tree: SourceFile,
  root: string,
  problems: Problems,
): Record<string, string> | undefined {
  const own = entry.raw.vars ?? {};
  const where = `stalk "${stalk.name}" (${relative(root, stalk.file)})`;
  let ok = true;
  for (const k of Object.keys(own)) {
    if (stalk.vars.has(k)) continue;
    problems.at(
      tree,
      `${entry.pointer}/vars/${pointerEscape(k)}`,
      `node "${entry.name}": variable "${k}" is not declared by ${where}${didYouMean(k, stalk.vars.keys())}`,
    );
    ok = false;
  }
  const vars: Record<string, string> = {};
  for (const [k, def] of stalk.vars) {
    const v = own[k] ?? treeVars[k] ?? def;
    if (v === null) {
      const line = stalk.varLine.get(k);
      problems.at(
        tree,
        entry.pointer,
        `node "${entry.name}": variable "${k}" is required by ${where}${line ? ` line ${line}` : ''} but has no value: set it in the node's or the tree's vars`,
      );
      ok = false;
    } else vars[k] = String(v);
  }
  return ok ? vars : undefined;
}

export function nodeSteps(node: string, stalk: StalkModel, vars: Record<string, string>, sysroot: Mount[], copies: NodeCopy[] = []): ResolvedStep[] {
  const env = (pairs: Pairs) => Object.fromEntries(pairs.map(([k, t]) => [k, render(t, vars)]));
  const baseEnv = { ...vars, ...env(stalk.env) };
  const files = stalk.files.map((f): FileInput => {
    const content = f.template ? Buffer.from(render(f.template, vars)) : f.bytes;
    return { target: f.target, content, mode: f.mode, how: f.how, origin: f.origin, sha256: sha256(content) };
  });
  const mounts = [...stalk.mounts, ...sysroot];
  return stalk.steps.map((s, i) => ({
    node,
    name: s.name,
    script: s.script,
    args: s.args.map((a) => render(a, vars)),
    env: { ...baseEnv, ...env(s.env) },
    secrets: [...stalk.secrets],
    cache: s.cache,
    mounts: mounts.map((m) => ({ ...m })),
    caches: stalk.caches.map((c) => ({ ...c })),
    // copies land in the image on the first step and are committed with it; later steps see them
    files: files.filter((f) => f.how === 'mount' || i === 0),
    copies: i === 0 ? copies.map((c) => ({ ...c })) : [],
  }));
}
