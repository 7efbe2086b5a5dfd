import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { hashPath } from './content-hash.js';
import { pointerEscape } from './hjson-positions.js';
import { locate, type Problems } from './problems.js';
import type { RawStalk, Scalar } from './raw-types.js';
import { readHjson } from './read-hjson.js';
import { checkSchema } from './schema-check.js';
import type { Pairs, StalkFile, StalkModel, StalkStep } from './stalk-model.js';
import { checkStepNames, stepScript } from './stalk-steps.js';
import { didYouMean } from './suggest.js';
import { checkTemplate, parseTemplate, undefinedVars, type ParsedTemplate } from './template.js';

export function stalkFile(root: string, name: string): string {
  return join(root, 'stalks', name, `${name}.hjson`);
}

/** Loads and checks one stalk; undefined when it has problems (already recorded). */
export function loadStalk(root: string, name: string, problems: Problems): StalkModel | undefined {
  const file = stalkFile(root, name);
  const before = problems.size;
  const src = readHjson(file, problems);
  if (!src) return undefined;
  if (checkSchema('stalk', src, problems).length) return undefined;
  const raw = src.data as RawStalk;
  const dir = dirname(file);
  const ctx = { src, dir, root, problems };

  const vars = new Map<string, string | null>();
  const varLine = new Map<string, number | undefined>();
  for (const [k, v] of Object.entries(raw.vars ?? {})) {
    vars.set(k, v === null ? null : String(v));
    varLine.set(k, locate(src, `/vars/${pointerEscape(k)}`)?.line);
  }
  const known = new Set(vars.keys());
  // Every placeholder is checked here against the declared vars, so rendering per node cannot fail.
  const tpl = (text: string, ptr: string, label: string): ParsedTemplate =>
    checkTemplate(text, known, (m) => problems.at(src, ptr, `${label}: ${m}`, 'value'), " (declare it in this stalk's vars)");
  const pairs = (env: Record<string, Scalar> | undefined, ptr: string, label: string): Pairs =>
    Object.entries(env ?? {}).map(([k, v]) => [k, tpl(String(v), `${ptr}/${pointerEscape(k)}`, `${label}env.${k}`)]);
  const env = pairs(raw.env, '/env', '');

  checkStepNames(raw.steps, src, problems);
  const steps: StalkStep[] = [];
  raw.steps.forEach((s, i) => {
    const script = stepScript(s, i, ctx);
    const args = (s.args ?? []).map((a, j) => tpl(String(a), `/steps/${i}/args/${j}`, `step "${s.name}" args[${j}]`));
    const env = pairs(s.env, `/steps/${i}/env`, `step "${s.name}" `);
    if (script) steps.push({ name: s.name, script, args, env, cache: s.cache ?? true });
  });

  const files: StalkFile[] = [];
  (raw.files ?? []).forEach((f, i) => {
    const origin = resolve(dir, f.src);
    if (!existsSync(origin) || !statSync(origin).isFile()) {
      problems.at(src, `/files/${i}/src`, `file not found: ${origin}${existsSync(origin) ? ' (a directory: use mounts)' : ''}`);
      return;
    }
    const bytes = readFileSync(origin);
    const exec = (statSync(origin).mode & 0o111) !== 0;
    const file: StalkFile = {
      target: f.dest,
      mode: f.mode ? parseInt(f.mode, 8) : exec ? 0o755 : 0o644,
      how: f.how ?? 'copy',
      origin,
      bytes,
    };
    if (f.template ?? f.src.endsWith('.tmpl')) file.template = templateFile(origin, bytes.toString('utf8'), known, problems);
    files.push(file);
  });

  const mounts = (raw.mounts ?? []).flatMap((m, i) => {
    const source = isAbsolute(m.src) ? m.src : resolve(dir, m.src);
    if (!existsSync(source)) {
      problems.at(src, `/mounts/${i}/src`, `mount source not found: ${source}`);
      return [];
    }
    return [{ source, target: m.dest, readOnly: !m.rw, sha256: hashPath(source) }];
  });

  if (problems.size > before) return undefined;
  return {
    name,
    file,
    vars,
    varLine,
    env,
    secrets: raw.secrets ?? [],
    files,
    mounts,
    caches: (raw.caches ?? []).map((c) => ({ name: c.name, target: c.dest })),
    steps,
  };
}

function templateFile(origin: string, text: string, known: Set<string>, problems: Problems): ParsedTemplate {
  const t = parseTemplate(text);
  for (const e of t.errors) problems.add(origin, e, e.message);
  for (const u of undefinedVars(t, known))
    problems.add(origin, u, `undefined variable "${u.name}" in template${didYouMean(u.name, known)} (the stalk declares: ${[...known].join(', ') || 'none'})`);
  return t;
}
