// `stalker export <node>[:<step>] --output <dir|file.tar> [--failed]`: a node's root filesystem;
// `--docker` instead: the image, from a rootless engine's store into the local Docker.
import { openEngine } from '../engine/open-engine.js';
import { StalkerError } from '../errors.js';
import { exportToDocker } from '../inspect/export-docker.js';
import { exportRootfs, isTarOutput } from '../inspect/export-rootfs.js';
import { resolveImage } from '../inspect/image-target.js';
import { openProject } from './project.js';

export interface ExportFlags {
  config?: string;
  output?: string;
  failed?: boolean;
  docker?: boolean;
}

const USAGE = 'usage: stalker export <node>[:<step>] --config <tree> (--output <dir|file.tar> | --docker) [--failed]';

export async function exportCommand(flags: ExportFlags, target: string | undefined): Promise<number> {
  if (!flags.output && !flags.docker) throw new StalkerError('USAGE', `missing --output (or --docker)\n${USAGE}`);
  if (flags.output && flags.docker) throw new StalkerError('USAGE', `--output and --docker: give one\n${USAGE}`);
  const project = await openProject(flags.config);
  const engine = openEngine();
  if (flags.docker && !engine.ociLayout)
    throw new StalkerError(
      'USAGE',
      `--docker copies from a rootless engine's store (--engine userns|proot); the ${engine.kind} engine's images are already in Docker`,
    );
  const t = await resolveImage(engine, project.tree, target, { failed: flags.failed, usage: USAGE });
  const started = Date.now();
  if (flags.docker) {
    await exportToDocker({ layout: engine.ociLayout!, ref: t.ref, daemonHost: process.env.DOCKER_HOST });
    process.stderr.write(`copied ${t.ref} into Docker as ${t.ref} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    return 0;
  }
  const output = flags.output!;
  await exportRootfs({ engine, ref: t.ref, platform: t.node.platform, tree: project.tree.name, node: t.node.name, output });
  process.stderr.write(`exported ${t.ref} to ${output}${isTarOutput(output) ? '' : '/'} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return 0;
}
