import { statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { hashPath } from './content-hash.js';
import { pointerEscape } from './hjson-positions.js';
import { PathProblem, readRegularFile } from './path-kind.js';
import { locate, type Problems } from './problems.js';
import type { RawStalk, RawStep, Scalar } from './raw-types.js';
import { readHjson } from './read-hjson.js';
import { checkSchema } from './schema-check.js';
import type { Pairs, StalkFile, StalkModel, StalkStep } from './stalk-model.js';
import { checkStepNames, stepScript } from './stalk-steps.js';
import { didYouMean } from './suggest.js';
import { checkTemplate, parseTemplate, undefinedVars, type ParsedTemplate } from './template.js';

export function stalkFile(root: string, name: string): string {
  return join(root, 'stalks', name, `${name}.hjson`);
}

/**
 * Loads and checks one stalk; undefined when it has problems (already recorded). A schema problem
 * does not stop the other checks: only the parts it covers are skipped, so the scripts, files,
 * mounts and variables of the rest are reported in the same run.
 */
export function loadStalk(root: string, name: string, problems: Problems): StalkModel | undefined {
  const file = stalkFile(root, name);
  const before = problems.size;
  const src = readHjson(file, problems);
  if (!src) return undefined;
  const bad = checkSchema('stalk', src, problems);
  // a pointer is usable when no problem is at it, below it or above it ('' is a missing top-level key)
  const ok = (ptr: string) => !bad.some((b) => b === ptr || b.startsWith(`${ptr}/`) || (b !== '' && ptr.startsWith(`${b}/`)));
  if (!isObject(src.data)) return undefined;
  const raw = src.data as Partial<RawStalk>;
  const dir = dirname(file);
  const ctx = { src, dir, root, problems };
  // an array or map with a schema problem of its own is unusable; one bad element skips only itself
  const list = <T>(key: string): [T, number][] => {
    const v = (raw as Record<string, unknown>)[key];
    return Array.isArray(v) ? (v as T[]).map((x, i): [T, number] => [x, i]).filter(([, i]) => ok(`/${key}/${i}`)) : [];
  };
  const map = (v: unknown, ptr: string): Record<string, Scalar | null> =>
    isObject(v) ? (Object.fromEntries(Object.entries(v).filter(([k]) => ok(`${ptr}/${pointerEscape(k)}`))) as Record<string, Scalar | null>) : {};

  const vars = new Map<string, string | null>();
  const varLine = new Map<string, number | undefined>();
  for (const [k, v] of Object.entries(map(raw.vars, '/vars'))) {
    vars.set(k, v === null ? null : String(v));
    varLine.set(k, locate(src, `/vars/${pointerEscape(k)}`)?.line);
  }
  // a declared name whose default is mistyped is still declared: its uses are not "undefined"
  const known = new Set([...vars.keys(), ...(isObject(raw.vars) ? Object.keys(raw.vars) : [])]);
  // Every placeholder is checked here against the declared vars, so rendering per node cannot fail.
  const tpl = (text: string, ptr: string, label: string): ParsedTemplate =>
    checkTemplate(text, known, (m, at) => problems.inValue(src, ptr, at, `${label}: ${m}`), " (declare it in this stalk's vars)");
  const pairs = (env: unknown, ptr: string, label: string): Pairs =>
    Object.entries(map(env, ptr)).map(([k, v]) => [k, tpl(String(v), `${ptr}/${pointerEscape(k)}`, `${label}env.${k}`)]);
  const env = pairs(raw.env, '/env', '');

  const rawSteps = list<RawStep>('steps');
  checkStepNames(rawSteps, src, problems);
  const steps: StalkStep[] = [];
  for (const [s, i] of rawSteps) {
    const script = stepScript(s, i, ctx);
    const args = (s.args ?? []).map((a, j) => tpl(String(a), `/steps/${i}/args/${j}`, `step "${s.name}" args[${j}]`));
    const env = pairs(s.env, `/steps/${i}/env`, `step "${s.name}" `);
    if (script) steps.push({ name: s.name, script, args, env, cache: s.cache ?? true });
  }

  const files: StalkFile[] = [];
  for (const [f, i] of list<NonNullable<RawStalk['files']>[number]>('files')) {
    const origin = resolve(dir, f.src);
    let bytes: Buffer;
    try {
      bytes = readRegularFile(origin);
    } catch (e) {
      if (!(e instanceof PathProblem)) throw e;
      const hint = statSafe(origin)?.isDirectory() ? ' (a directory: use mounts)' : '';
      problems.at(src, `/files/${i}/src`, `${e.describe('file')}${hint}`);
      continue;
    }
    const exec = ((statSafe(origin)?.mode ?? 0) & 0o111) !== 0;
    const file: StalkFile = {
      target: f.dest,
      mode: f.mode ? parseInt(f.mode, 8) : exec ? 0o755 : 0o644,
      how: f.how ?? 'copy',
      origin,
      bytes,
    };
    if (f.template ?? f.src.endsWith('.tmpl')) file.template = templateFile(origin, bytes.toString('utf8'), known, problems);
    files.push(file);
  }

  const mounts = list<NonNullable<RawStalk['mounts']>[number]>('mounts').flatMap(([m, i]) => {
    const source = isAbsolute(m.src) ? m.src : resolve(dir, m.src);
    try {
      return [{ source, target: m.dest, readOnly: !m.rw, sha256: hashPath(source) }];
    } catch (e) {
      if (!(e instanceof PathProblem)) throw e;
      problems.at(src, `/mounts/${i}/src`, e.describe('mount source'));
      return [];
    }
  });

  if (problems.size > before) return undefined;
  return {
    name,
    file,
    vars,
    varLine,
    env,
    secrets: Array.isArray(raw.secrets) ? raw.secrets : [],
    files,
    mounts,
    caches: list<NonNullable<RawStalk['caches']>[number]>('caches').map(([c]) => ({ name: c.name, target: c.dest })),
    steps,
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function statSafe(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function templateFile(origin: string, text: string, known: Set<string>, problems: Problems): ParsedTemplate {
  const t = parseTemplate(text);
  for (const e of t.errors) problems.add(origin, e, e.message);
  for (const u of undefinedVars(t, known))
    problems.add(origin, u, `undefined variable "${u.name}" in template${didYouMean(u.name, known)} (the stalk declares: ${[...known].join(', ') || 'none'})`);
  return t;
}
