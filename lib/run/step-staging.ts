// What a step needs from the host, put where its container sees it: the script, the env file (vars
// reach scripts through it rather than the container's Env, which `docker commit` would bake into
// the image), an entry shim, mounted files and dirs, and named caches. An engine that sees host
// paths gets bind mounts; one that does not gets the same bytes as archives put into volumes (or,
// for single mounted files, into the container and removed by the shim before the commit).
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ResolvedStep } from '../config/types.js';
import type { BindMount, VolumeMount } from '../engine/engine-port.js';
import { StalkerError } from '../errors.js';
import { hostDirTar, tarOf } from './input-archive.js';

export const STAGE_TARGET = '/run/stalker';

const ENTRY = `#!/bin/sh
# stalker step entry: load the step's variables, then run its script (its shebang picks the interpreter)
. ${STAGE_TARGET}/env
exec "$@"
`;

// Without binds, mounted files sit in the container's own filesystem: the shim removes them after
// the script, so the committed image no more holds them than it would a bind's target.
const ENTRY_UNMOUNT = `#!/bin/sh
# stalker step entry: load the step's variables, run its script, remove the files put in for it
. ${STAGE_TARGET}/env
"$@"
rc=$?
while IFS= read -r p; do rm -f "$p"; done < ${STAGE_TARGET}/unmount
exit $rc
`;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function envFile(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join('');
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

/** An archive to extract at `path` in the container before it starts. */
export interface StagedArchive {
  path: string;
  tar: () => Promise<Buffer | Readable>;
}

export interface StagedStep {
  cmd: string[];
  binds: BindMount[];
  volumes: VolumeMount[];
  archives: StagedArchive[];
}

/** The engine-side name of a named cache. */
export const cacheVolume = (name: string) => `stalker-cache-${name}`;

/** `hostEnv`: variables the host adds (the emulated CPU); the step's own env wins over them. */
export async function stageStep(
  dir: string,
  step: ResolvedStep,
  cacheDir: string,
  hostPaths = true,
  hostEnv: Record<string, string> = {},
): Promise<StagedStep> {
  await mkdir(join(dir, 'files'), { recursive: true });
  const mountedFiles = step.files.filter((f) => f.how === 'mount');
  const fileMounts = hostPaths ? [] : await singleFileMounts(step);
  const unmount = [...mountedFiles.map((f) => f.target), ...fileMounts.map((m) => m.target)];
  const staged: Record<string, { content: string | Buffer; mode: number }> = {
    script: { content: step.script.content, mode: 0o755 },
    entry: { content: !hostPaths && unmount.length ? ENTRY_UNMOUNT : ENTRY, mode: 0o755 },
    env: { content: envFile({ ...hostEnv, ...step.env, ...secretValues(step) }), mode: 0o600 },
  };
  const cmd = ['/bin/sh', `${STAGE_TARGET}/entry`, `${STAGE_TARGET}/script`, ...step.args];
  if (!hostPaths) {
    staged.unmount = { content: unmount.map((t) => `${t}\n`).join(''), mode: 0o644 };
    const archives: StagedArchive[] = [{ path: STAGE_TARGET, tar: () => tarOf(Object.entries(staged).map(([name, f]) => ({ name, ...f }))) }];
    const volumes: VolumeMount[] = [{ target: STAGE_TARGET }, ...step.caches.map((c) => ({ name: cacheVolume(c.name), target: c.target }))];
    for (const m of step.mounts) {
      if (fileMounts.includes(m)) continue;
      volumes.push({ target: m.target }); // a dir: an anonymous volume, never committed, filled from the host
      archives.push({ path: m.target, tar: async () => hostDirTar(m.source) });
    }
    const loose = [...mountedFiles.map((f) => ({ target: f.target, content: f.content, mode: f.mode })), ...(await Promise.all(fileMounts.map(readMount)))];
    for (const f of loose)
      archives.push({ path: dirname(f.target), tar: () => tarOf([{ name: f.target.slice(f.target.lastIndexOf('/') + 1), content: f.content, mode: f.mode }]) });
    return { cmd, binds: [], volumes, archives };
  }
  for (const [name, f] of Object.entries(staged)) await writeFile(join(dir, name), f.content, { mode: f.mode });
  const binds: BindMount[] = [{ source: dir, target: STAGE_TARGET, readOnly: true }];
  for (const m of step.mounts) binds.push({ source: m.source, target: m.target, readOnly: m.readOnly });
  for (const c of step.caches) {
    const source = join(cacheDir, c.name);
    await mkdir(source, { recursive: true });
    binds.push({ source, target: c.target, readOnly: false });
  }
  let n = 0;
  for (const f of mountedFiles) {
    const source = join(dir, 'files', String(n++));
    await writeFile(source, f.content);
    await chmod(source, f.mode);
    binds.push({ source, target: f.target, readOnly: true });
  }
  return { cmd, binds, volumes: [], archives: [] };
}

async function singleFileMounts(step: ResolvedStep) {
  const files = [];
  for (const m of step.mounts) if (!(await stat(m.source)).isDirectory()) files.push(m);
  return files;
}

async function readMount(m: ResolvedStep['mounts'][number]) {
  const s = await stat(m.source);
  return { target: m.target, content: await readFile(m.source), mode: s.mode & 0o7777 };
}

/** A tar of the files the step copies into the image (absolute paths, root-owned), or undefined. */
export async function copiedFilesTar(step: ResolvedStep): Promise<Buffer | undefined> {
  const copies = step.files.filter((f) => f.how === 'copy');
  if (!copies.length) return undefined;
  return tarOf(copies.map((f) => ({ name: f.target.replace(/^\/+/, ''), content: f.content, mode: f.mode })));
}
