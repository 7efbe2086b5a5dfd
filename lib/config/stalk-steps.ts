import { join, resolve, sep } from 'node:path';
import { sha256 } from './content-hash.js';
import { stepNameProblem } from './names.js';
import { PathProblem, readRegularFile } from './path-kind.js';
import type { Problems, SourceFile } from './problems.js';
import type { RawStep } from './raw-types.js';
import type { StepScript } from './types.js';

const SHELL = Buffer.from('#!/bin/sh -e\n');

/** The script a step runs, or undefined after recording why it cannot be had. */
export function stepScript(step: RawStep, i: number, ctx: { src: SourceFile; dir: string; root: string; problems: Problems }): StepScript | undefined {
  const { src, problems } = ctx;
  const ptr = `/steps/${i}`;
  const kinds = (['run', 'script', 'plugin'] as const).filter((k) => step[k] !== undefined);
  if (kinds.length !== 1) {
    problems.at(src, ptr, `step "${step.name}": needs exactly one of run, script, plugin${kinds.length ? ` (has ${kinds.join(', ')})` : ''}`, 'value');
    return undefined;
  }
  if (step.run !== undefined) {
    const body = Buffer.from(step.run.endsWith('\n') ? step.run : `${step.run}\n`);
    const content = step.run.startsWith('#!') ? body : Buffer.concat([SHELL, body]);
    return { origin: `${src.file}#steps[${i}].run`, content, sha256: sha256(content) };
  }
  const isPlugin = step.plugin !== undefined;
  const base = isPlugin ? join(ctx.root, 'plugins') : ctx.dir;
  const rel = (step.plugin ?? step.script) as string;
  const path = resolve(base, rel);
  const key = isPlugin ? 'plugin' : 'script';
  if (isPlugin && !path.startsWith(base + sep)) {
    problems.at(src, `${ptr}/${key}`, `step "${step.name}": plugin "${rel}" is outside ${base}`);
    return undefined;
  }
  let content: Buffer;
  try {
    content = readRegularFile(path);
  } catch (e) {
    if (!(e instanceof PathProblem)) throw e;
    problems.at(src, `${ptr}/${key}`, `step "${step.name}": ${e.describe(`${key} file`)}`);
    return undefined;
  }
  if (content.subarray(0, 2).toString() !== '#!') {
    problems.at(src, `${ptr}/${key}`, `step "${step.name}": ${path} has no shebang (#!) line to pick its interpreter`);
    return undefined;
  }
  return { origin: path, content, sha256: sha256(content) };
}

/** Step names: valid tags, unique within the stalk. */
export function checkStepNames(steps: [RawStep, number][], src: SourceFile, problems: Problems): void {
  const seen = new Set<string>();
  steps.forEach(([s, i]) => {
    const bad = stepNameProblem(s.name);
    if (bad) problems.at(src, `/steps/${i}/name`, bad);
    else if (seen.has(s.name)) problems.at(src, `/steps/${i}/name`, `duplicate step name "${s.name}"`);
    seen.add(s.name);
  });
}
