// Puts what a step needs on the host so it can be bind-mounted: the script, the env file (vars
// reach scripts through it rather than the container's Env, which `docker commit` would bake into
// the image), an entry shim, and files mounted rather than copied. Builds the tar of copied files.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { StalkerError } from '../errors.js';
import type { ResolvedStep } from '../config/types.js';
import type { BindMount } from '../engine/engine-port.js';

export const STAGE_TARGET = '/run/stalker';

const ENTRY = `#!/bin/sh
# stalker step entry: load the step's variables, then run its script (its shebang picks the interpreter)
. ${STAGE_TARGET}/env
exec "$@"
`;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function envFile(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join('');
}

function secretValues(step: ResolvedStep): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of step.secrets) {
    const value = process.env[name];
    if (value === undefined) {
      throw new StalkerError('USAGE', `step ${step.node}:${step.name} needs secret ${name}: set it in the environment of stalker`);
    }
    values[name] = value;
  }
  return values;
}

export interface StagedStep {
  binds: BindMount[];
  cmd: string[];
}

export async function stageStep(dir: string, step: ResolvedStep, cacheDir: string): Promise<StagedStep> {
  await mkdir(join(dir, 'files'), { recursive: true });
  await writeFile(join(dir, 'script'), step.script.content, { mode: 0o755 });
  await writeFile(join(dir, 'entry'), ENTRY, { mode: 0o755 });
  await writeFile(join(dir, 'env'), envFile({ ...step.env, ...secretValues(step) }), { mode: 0o600 });
  const binds: BindMount[] = [{ source: dir, target: STAGE_TARGET, readOnly: true }];
  for (const m of step.mounts) binds.push({ source: m.source, target: m.target, readOnly: m.readOnly });
  for (const c of step.caches) {
    const source = join(cacheDir, c.name);
    await mkdir(source, { recursive: true });
    binds.push({ source, target: c.target, readOnly: false });
  }
  let n = 0;
  for (const f of step.files.filter((f) => f.how === 'mount')) {
    const source = join(dir, 'files', String(n++));
    await writeFile(source, f.content);
    await chmod(source, f.mode);
    binds.push({ source, target: f.target, readOnly: true });
  }
  return { binds, cmd: ['/bin/sh', `${STAGE_TARGET}/entry`, `${STAGE_TARGET}/script`, ...step.args] };
}

/** A tar of the files the step copies into the image (absolute paths, root-owned), or undefined. */
export async function copiedFilesTar(step: ResolvedStep): Promise<Buffer | undefined> {
  const copies = step.files.filter((f) => f.how === 'copy');
  if (!copies.length) return undefined;
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => archive.on('end', () => resolve()).on('error', reject));
  for (const f of copies) {
    archive.entry({ name: f.target.replace(/^\/+/, ''), mode: f.mode, uid: 0, gid: 0, mtime: new Date(0) }, f.content);
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}
