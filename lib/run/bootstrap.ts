// Executes a root node's bootstrap: the root tar made on the host (mmdebstrap) or checked against
// its pin (tarball), imported as a one-layer image carrying the step's key. Only a complete tar
// (exit 0) is ever imported. (An `image` bootstrap never executes: its probe hits or blocks.)
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bootstrap } from '../config/types.js';
import { keyLabels } from '../engine/labels.js';
import { ExecError, StalkerError } from '../errors.js';
import type { KeyedStep } from '../plan/tree-keys.js';
import { exec } from '../util/exec.js';
import { fileSha256 } from '../util/file-sha256.js';
import { type BuildContext, repoOf, runLabels } from './build-context.js';
import { emulatedCpuEnv } from './emulated-cpu.js';
import type { StepScope } from './step-lifecycle.js';

export { BOOTSTRAP_STEP } from '../plan/bootstrap-step.js';

type KeyedBootstrap = Extract<KeyedStep, { kind: 'bootstrap' }>;

// dpkg without fsync for the bootstrap (an interrupted bootstrap is thrown away, and the root is
// written once, as a tar, at the end); the customize hook drops the option from the root it makes,
// so the device's dpkg keeps its safe writes.
const UNSAFE_IO = ['--dpkgopt=force-unsafe-io', '--customize-hook=rm "$1"/etc/dpkg/dpkg.cfg.d/99mmdebstrap'];
// mmdebstrap copies the build host's /etc/resolv.conf into the root (debootstrap's habit). Docker
// hides it under its own empty file in the first step's layer; the rootless backends keep the
// root's file, so without this the written image would carry the builder's resolver. An empty
// file, as a Docker-built image has (a symlink the root already has is kept).
// The build host's /etc/hostname likewise (a helper container's id, or the builder's name): one
// base key must hold the same bytes on every builder sharing a cache (MMDEBSTRAP_RECIPE 2).
const NO_HOST_FILES = ['resolv.conf', 'hostname'].map((f) => `--customize-hook=if [ ! -L "$1"/etc/${f} ]; then : > "$1"/etc/${f}; chmod 644 "$1"/etc/${f}; fi`);

function mmdebstrapArgs(b: Extract<Bootstrap, { kind: 'debootstrap' }>, out: string): string[] {
  return [
    ...UNSAFE_IO,
    ...NO_HOST_FILES,
    `--variant=${b.variant}`,
    `--arch=${b.arch}`,
    `--components=${b.components.join(',')}`,
    ...(b.include.length ? [`--include=${b.include.join(',')}`] : []),
    b.suite,
    out,
    b.mirror,
  ];
}

async function makeRootTar(ctx: BuildContext, s: KeyedBootstrap, scope: StepScope): Promise<string> {
  const b = s.bootstrap;
  switch (b.kind) {
    case 'tarball': {
      const actual = await fileSha256(b.file);
      if (actual !== b.sha256) throw new StalkerError('BOOTSTRAP_FAILED', `node ${s.node}: tarball ${b.file} has sha256 ${actual}, the tree pins ${b.sha256}`);
      return b.file;
    }
    case 'debootstrap': {
      const dir = join(ctx.stagingDir, s.node);
      await mkdir(dir, { recursive: true });
      const out = join(dir, 'rootfs.tar');
      const args = mmdebstrapArgs(b, out);
      // mmdebstrap's reproducible mode: SOURCE_DATE_EPOCH set (the node's, when its stalk sets one)
      const env = b.sourceDateEpoch === undefined ? {} : { SOURCE_DATE_EPOCH: b.sourceDateEpoch };
      // the emulated CPU for the chroot's dpkg and maintainer scripts (emulated-cpu.ts)
      const cpu = emulatedCpuEnv(s.parts.platform);
      scope.log.note(
        `$ ${Object.entries(env)
          .map(([k, v]) => `${k}=${v} `)
          .join('')}mmdebstrap ${args.join(' ')}`,
      );
      try {
        await exec('mmdebstrap', args, { env: { ...cpu, ...env }, signal: ctx.signal, onOutput: (_s, c) => scope.log.write(c) });
      } catch (err) {
        await rm(out, { force: true });
        const code = err instanceof ExecError ? err.exitCode : null;
        throw new StalkerError(
          'BOOTSTRAP_FAILED',
          `node ${s.node}: mmdebstrap ${code === null ? 'could not run' : `exited with ${code}`} (log: ${scope.log.path})\n${scope.log
            .tail()
            .map((l) => `    | ${l}`)
            .join('\n')}`,
          { cause: err },
        );
      }
      return out;
    }
    case 'image':
      throw new StalkerError('BOOTSTRAP_FAILED', `node ${s.node}: an image bootstrap has nothing to execute`);
  }
}

export async function runBootstrap(ctx: BuildContext, s: KeyedBootstrap, scope: StepScope): Promise<string> {
  const tar = await makeRootTar(ctx, s, scope);
  const labels = { ...runLabels(ctx, s.node, s.step), ...keyLabels(s.key, s.parts, `${s.node}:${s.step}`) };
  const image = await ctx.session.engine.images.importTar(tar, { repo: repoOf(ctx, s.node), tag: s.step, platform: s.parts.platform, labels });
  if (s.bootstrap.kind === 'debootstrap') await rm(tar, { force: true });
  scope.log.note(`imported as ${image}`);
  ctx.session.index.remember({ id: image, tags: [`${repoOf(ctx, s.node)}:${s.step}`], labels, created: Date.now() / 1000 });
  return image;
}
