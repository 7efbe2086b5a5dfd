// Executes a writer node's step: the root filesystem of its input image, streamed out of the
// engine (container export, never buffered whole), written as a disk image on the host. Its
// "commit" is a fingerprint file beside the output, removed before writing and written only after
// success, so a half-written image is never taken for a cached one.
import { rm, stat, writeFile } from 'node:fs/promises';
import type { ResolvedTree } from '../config/types.js';
import { StalkerError } from '../errors.js';
import { fingerprintPath, type Fingerprint } from '../plan/writer-step.js';
import type { KeyedStep } from '../plan/tree-keys.js';
import type { Engine } from '../engine/engine-port.js';
import { WriterError, writeImage, type WriterConfig, type WriterEvent, type WriterOptions, type WriterResult } from '../writer/write-image.js';
import { writeImageAs } from './rootless-writer.js';
import { type BuildContext, runLabels } from './build-context.js';
import type { StepScope } from './step-lifecycle.js';
import { STAGE_TARGET } from './step-staging.js';

export { WRITE_STEP, writerOutput } from '../plan/writer-step.js';

type KeyedWriter = Extract<KeyedStep, { kind: 'writer' }>;

/** Every path any step of the tree bind-mounts (not keyed: it only names stand-ins to drop). */
function mountTargets(tree: ResolvedTree): string[] {
  const targets = new Set<string>([STAGE_TARGET]);
  for (const node of tree.nodes.values()) {
    for (const step of node.steps) {
      for (const m of step.mounts) targets.add(m.target);
      for (const f of step.files) if (f.how === 'mount') targets.add(f.target);
    }
  }
  return [...targets];
}

/** The image written from its layers when the engine offers them and we may mount (root); else undefined. */
async function fromLayers(engine: Engine, image: string, opts: WriterOptions, note: (e: WriterEvent) => void): Promise<WriterResult | undefined> {
  const layers = process.getuid?.() === 0 ? await engine.images.layerDirs?.(image) : undefined;
  if (!layers) return undefined;
  return writeImage({ layers }, opts, note).catch((err: unknown) => {
    if (!(err instanceof WriterError && err.code === 'WRITER_MOUNT')) throw err;
    note({ type: 'writer:warning', message: `${err.message}; exporting a container instead` });
    return undefined;
  });
}

function describe(e: WriterEvent): string {
  switch (e.type) {
    case 'writer:phase':
      return `${e.phase}: ${e.ms} ms`;
    case 'writer:epoch':
      return `timestamps clamped to ${e.epoch} (${e.from})`;
    case 'writer:source':
      return e.layers ? `rootfs: the image's ${e.layers} layers, mounted as an overlay` : 'rootfs: exported from a container';
    default:
      return `warning: ${e.message}`;
  }
}

export async function runWriter(ctx: BuildContext, s: KeyedWriter, input: string, platform: string, scope: StepScope): Promise<string> {
  const output = s.output;
  const options = s.parts.options as unknown as WriterConfig;
  await rm(fingerprintPath(output), { force: true });
  // the container holds the image (and so its layers) while the writer reads them
  const id = await scope.container({ image: input, platform, cmd: ['/bin/true'], labels: runLabels(ctx, s.node, s.step), binds: [] });
  const engine = ctx.session.engine;
  const opts = { ...options, output, seed: s.key, mountTargets: mountTargets(ctx.tree) };
  const note = (e: WriterEvent) => scope.log.note(describe(e));
  try {
    const result = (await fromLayers(engine, input, opts, note)) ?? (await writeImageAs(engine, await engine.containers.export(id), opts, note));
    scope.log.note(`wrote ${result.image} (${result.size} bytes, sha256 ${result.sha256}, ${result.packages} packages)`);
    const st = await stat(output);
    const fp: Fingerprint = { key: s.key, parts: s.parts, size: st.size, mtimeMs: Math.trunc(st.mtimeMs), sha256: result.sha256 };
    await writeFile(fingerprintPath(output), JSON.stringify(fp, null, 2));
    return output;
  } catch (err) {
    if (err instanceof WriterError) throw new StalkerError('WRITER', `node ${s.node}: ${err.message} (log: ${scope.log.path})`, { cause: err });
    throw err;
  }
}
