// Executes a writer node's step: the root filesystem of its input image, streamed out of the
// engine (container export, never buffered whole), written as a disk image on the host. Its
// "commit" is a fingerprint file beside the output, removed before writing and written only after
// success, so a half-written image is never taken for a cached one.
import { rm, stat, writeFile } from 'node:fs/promises';
import type { ResolvedTree } from '../config/types.js';
import { StalkerError } from '../errors.js';
import { fingerprintPath, type Fingerprint } from '../plan/writer-step.js';
import type { KeyedStep } from '../plan/tree-keys.js';
import { WriterError, type WriterConfig } from '../writer/write-image.js';
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

export async function runWriter(ctx: BuildContext, s: KeyedWriter, input: string, platform: string, scope: StepScope): Promise<string> {
  const output = s.output;
  const options = s.parts.options as unknown as WriterConfig;
  await rm(fingerprintPath(output), { force: true });
  const id = await scope.container({ image: input, platform, cmd: ['/bin/true'], labels: runLabels(ctx, s.node, s.step), binds: [] });
  try {
    const tar = await ctx.session.engine.containers.export(id);
    const result = await writeImageAs(ctx.session.engine, tar, { ...options, output, seed: s.key, mountTargets: mountTargets(ctx.tree) }, (e) => {
      scope.log.note(
        e.type === 'writer:phase'
          ? `${e.phase}: ${e.ms} ms`
          : e.type === 'writer:epoch'
            ? `timestamps clamped to ${e.epoch} (${e.from})`
            : `warning: ${e.message}`,
      );
    });
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
