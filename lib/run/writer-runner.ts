// A writer node: the root filesystem of its `from` image, streamed out of the engine (container
// export, never buffered whole), written as a disk image on the host. Its "commit" is a
// fingerprint file beside the output, removed before writing and written only after success,
// so a half-written image is never taken for a cached one.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { cacheKey, KEY_VERSION, type WriterKeyParts } from '../cache/cache-key.js';
import { diffKeyParts } from '../cache/key-diff.js';
import type { ResolvedNode } from '../config/types.js';
import { TOOL_VERSION } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { writeImage, WriterError, type WriterConfig } from '../writer/write-image.js';
import { type BuildContext, runLabels, useCache } from './build-context.js';
import { StepLog } from './step-log.js';
import { STAGE_TARGET } from './step-staging.js';

export const WRITE_STEP = 'write';

interface Fingerprint { key: string; parts: WriterKeyParts; size: number; mtimeMs: number; sha256: string }

const fingerprintPath = (output: string) => `${output}.stalker.json`;

async function readFingerprint(output: string): Promise<Fingerprint | undefined> {
  try {
    const fp = JSON.parse(await readFile(fingerprintPath(output), 'utf8')) as Fingerprint;
    const s = await stat(output);
    // The image must still be the bytes the fingerprint describes (not edited or replaced since).
    return s.size === fp.size && Math.trunc(s.mtimeMs) === fp.mtimeMs ? fp : { ...fp, key: '' };
  } catch {
    return undefined;
  }
}

export function writerOutput(ctx: BuildContext, node: ResolvedNode): string {
  const output = String(node.writer?.options.output ?? join('out', `${node.name}.img`));
  return isAbsolute(output) ? output : join(ctx.tree.root, output);
}

/** Every path any step of the tree bind-mounts (not keyed: it only names stand-ins to drop). */
function mountTargets(ctx: BuildContext): string[] {
  const targets = new Set<string>([STAGE_TARGET]);
  for (const node of ctx.tree.nodes.values()) {
    for (const step of node.steps) {
      for (const m of step.mounts) targets.add(m.target);
      for (const f of step.files) if (f.how === 'mount') targets.add(f.target);
    }
  }
  return [...targets];
}

export async function runWriter(ctx: BuildContext, node: ResolvedNode, input: string): Promise<{ cached: boolean }> {
  const output = writerOutput(ctx, node);
  const options = { ...(node.writer?.options ?? {}), output } as WriterConfig;
  const parts: WriterKeyParts = { v: KEY_VERSION, kind: 'writer', input, options: options as unknown as Record<string, unknown>, tool: TOOL_VERSION };
  const key = cacheKey(parts);
  const previous = await readFingerprint(output);
  if (previous?.key === key && useCache(ctx, node.name)) {
    ctx.events.emit({ type: 'step-cached', node: node.name, step: WRITE_STEP, key, image: output });
    return { cached: true };
  }
  const log = await StepLog.open(ctx.logs.stepInRun(node.name, WRITE_STEP), ctx.logs.stepLatest(node.name, WRITE_STEP));
  ctx.events.emit({ type: 'step-start', node: node.name, step: WRITE_STEP, key, reasons: diffKeyParts(previous?.parts, parts), logPath: log.path });
  const started = Date.now();
  await rm(fingerprintPath(output), { force: true });
  const id = await ctx.engine.containers.create({
    image: input, platform: node.platform, cmd: ['/bin/true'], labels: runLabels(ctx, node.name, WRITE_STEP), binds: [],
  });
  ctx.live.add(id);
  try {
    const tar = await ctx.engine.containers.export(id);
    const result = await writeImage(tar, { ...options, seed: key, mountTargets: mountTargets(ctx) }, (e) => {
      log.note(e.type === 'writer:phase' ? `${e.phase}: ${e.ms} ms` : e.type === 'writer:epoch' ? `timestamps clamped to ${e.epoch} (${e.from})` : `warning: ${e.message}`);
    });
    log.note(`wrote ${result.image} (${result.size} bytes, sha256 ${result.sha256}, ${result.packages} packages)`);
    const s = await stat(output);
    const fp: Fingerprint = { key, parts, size: s.size, mtimeMs: Math.trunc(s.mtimeMs), sha256: result.sha256 };
    await writeFile(fingerprintPath(output), JSON.stringify(fp, null, 2));
    ctx.events.emit({ type: 'step-done', node: node.name, step: WRITE_STEP, key, image: output, durationMs: Date.now() - started });
    return { cached: false };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.note(`failed: ${message}`);
    ctx.events.emit({ type: 'step-failed', node: node.name, step: WRITE_STEP, exitCode: -1, logPath: log.path, durationMs: Date.now() - started });
    if (err instanceof WriterError) throw new StalkerError('WRITER', `node ${node.name}: ${message} (log: ${log.path})`, { cause: err });
    throw err;
  } finally {
    await log.close();
    ctx.pending.push(ctx.engine.containers.remove(id).finally(() => ctx.live.delete(id)));
  }
}
