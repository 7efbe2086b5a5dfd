// The first image of a root node: a Debian root made by mmdebstrap, a tarball checked against its
// sha256, or an image already in the engine. Each is keyed and found again like any step.
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheKey, KEY_VERSION, type BootstrapKeyParts } from '../cache/cache-key.js';
import { diffKeyParts } from '../cache/key-diff.js';
import type { Bootstrap, ResolvedNode } from '../config/types.js';
import { LABEL } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { fileSha256 } from '../util/file-sha256.js';
import { type BuildContext, repoOf, runLabels, useCache } from './build-context.js';
import { StepLog } from './step-log.js';

export const BOOTSTRAP_STEP = 'bootstrap';

function mmdebstrapArgs(b: Extract<Bootstrap, { kind: 'debootstrap' }>, out: string): string[] {
  return [
    `--variant=${b.variant}`, `--arch=${b.arch}`, `--components=${b.components.join(',')}`,
    ...(b.include.length ? [`--include=${b.include.join(',')}`] : []),
    b.suite, out, b.mirror,
  ];
}

function runLogged(cmd: string, args: string[], log: StepLog, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    log.note(`$ ${cmd} ${args.join(' ')}`);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    child.stdout.on('data', (c: Buffer) => log.write(c));
    child.stderr.on('data', (c: Buffer) => log.write(c));
    child.on('error', (err) => reject(new StalkerError('BOOTSTRAP_FAILED', `${cmd}: ${err.message}`, { cause: err })));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Makes the root tar on the host; only a complete tar (exit 0) is ever imported. */
async function makeRootTar(ctx: BuildContext, node: ResolvedNode, b: Bootstrap, log: StepLog): Promise<string> {
  if (b.kind === 'tarball') {
    const actual = await fileSha256(b.file);
    if (actual !== b.sha256) {
      throw new StalkerError('BOOTSTRAP_FAILED', `node ${node.name}: tarball ${b.file} has sha256 ${actual}, the tree pins ${b.sha256}`);
    }
    return b.file;
  }
  if (b.kind !== 'debootstrap') throw new Error('unreachable');
  const dir = join(ctx.stagingDir, node.name);
  await mkdir(dir, { recursive: true });
  const out = join(dir, 'rootfs.tar');
  const code = await runLogged('mmdebstrap', mmdebstrapArgs(b, out), log, ctx.signal);
  if (code !== 0) {
    await rm(out, { force: true });
    throw new StalkerError('BOOTSTRAP_FAILED', `node ${node.name}: mmdebstrap exited with ${code} (log: ${log.path})\n${log.tail().map((l) => `    | ${l}`).join('\n')}`);
  }
  return out;
}

/** A tarball is keyed by its sha256, not its path: moving the file does not rebuild. */
export function bootstrapKeyParts(node: ResolvedNode, b: Bootstrap): BootstrapKeyParts {
  const { file: _file, ...rest } = b as Bootstrap & { file?: string };
  return { v: KEY_VERSION, kind: 'bootstrap', platform: node.platform, bootstrap: rest };
}

export async function runBootstrap(ctx: BuildContext, node: ResolvedNode, b: Bootstrap): Promise<{ image: string; cached: boolean }> {
  const repo = repoOf(ctx, node.name);
  if (b.kind === 'image') {
    const found = await ctx.engine.images.inspect(b.ref);
    if (!found) throw new StalkerError('BOOTSTRAP_FAILED', `node ${node.name}: image ${b.ref} is not in the engine`);
    await ctx.index.ensureTag(ctx.engine, found, repo, BOOTSTRAP_STEP);
    ctx.events.emit({ type: 'step-cached', node: node.name, step: BOOTSTRAP_STEP, key: found.id, image: found.id });
    return { image: found.id, cached: true };
  }
  const parts = bootstrapKeyParts(node, b);
  const key = cacheKey(parts);
  const hit = useCache(ctx, node.name) ? ctx.index.lookup(key) : undefined;
  if (hit) {
    await ctx.index.ensureTag(ctx.engine, hit, repo, BOOTSTRAP_STEP);
    ctx.events.emit({ type: 'step-cached', node: node.name, step: BOOTSTRAP_STEP, key, image: hit.id });
    return { image: hit.id, cached: true };
  }
  const log = await StepLog.open(ctx.logs.stepInRun(node.name, BOOTSTRAP_STEP), ctx.logs.stepLatest(node.name, BOOTSTRAP_STEP));
  const reasons = diffKeyParts(ctx.index.partsAt(`${repo}:${BOOTSTRAP_STEP}`), parts);
  ctx.events.emit({ type: 'step-start', node: node.name, step: BOOTSTRAP_STEP, key, reasons, logPath: log.path });
  const started = Date.now();
  try {
    const tar = await makeRootTar(ctx, node, b, log);
    const labels = { ...runLabels(ctx, node.name, BOOTSTRAP_STEP), [LABEL.key]: key, [LABEL.keyParts]: JSON.stringify(parts) };
    const image = await ctx.engine.images.importTar(tar, { repo, tag: BOOTSTRAP_STEP, platform: node.platform, labels });
    if (b.kind === 'debootstrap') await rm(tar, { force: true });
    log.note(`imported as ${image}`);
    ctx.index.remember({ id: image, tags: [`${repo}:${BOOTSTRAP_STEP}`], labels, created: Date.now() / 1000 });
    ctx.events.emit({ type: 'step-done', node: node.name, step: BOOTSTRAP_STEP, key, image, durationMs: Date.now() - started });
    return { image, cached: false };
  } catch (err) {
    ctx.events.emit({ type: 'step-failed', node: node.name, step: BOOTSTRAP_STEP, exitCode: -1, logPath: log.path, durationMs: Date.now() - started });
    throw err;
  } finally {
    await log.close();
  }
}
