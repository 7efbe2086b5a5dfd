// `stalker export <node>[:<step>] --output <dir|file.tar> [--failed]`: a node's root filesystem;
// `--docker` instead: the image, from a rootless engine's store into the local Docker;
// `--oci DIR`: the image as an OCI image layout directory (skopeo, the device's sysdb image import).
import { openEngine } from '../engine/open-engine.js';
import { StalkerError } from '../errors.js';
import { exportToDocker } from '../inspect/export-docker.js';
import { exportOci } from '../inspect/export-oci.js';
import { exportRootfs, isTarOutput } from '../inspect/export-rootfs.js';
import { resolveImage } from '../inspect/image-target.js';
import { openProject } from './project.js';

export interface ExportFlags {
  config?: string;
  output?: string;
  failed?: boolean;
  docker?: boolean;
  oci?: string;
}

const USAGE = 'usage: stalker export <node>[:<step>] --config <tree> (--output <dir|file.tar> | --docker | --oci <dir>) [--failed]';

export async function exportCommand(flags: ExportFlags, target: string | undefined): Promise<number> {
  const given = (['output', 'docker', 'oci'] as const).filter((f) => flags[f]);
  if (!given.length) throw new StalkerError('USAGE', `missing --output (or --docker, --oci)\n${USAGE}`);
  if (given.length > 1) throw new StalkerError('USAGE', `${given.map((f) => `--${f}`).join(' and ')}: give one\n${USAGE}`);
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
  if (flags.oci) {
    const m = await exportOci({ engine, ref: t.ref, platform: t.node.platform, dir: flags.oci });
    process.stderr.write(
      `wrote ${t.ref} (${t.node.platform}, manifest ${m.digest.slice(0, 19)}) as an OCI layout in ${flags.oci}/ in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
    );
    return 0;
  }
  const output = flags.output!;
  await exportRootfs({ engine, ref: t.ref, platform: t.node.platform, tree: project.tree.name, node: t.node.name, output });
  process.stderr.write(`exported ${t.ref} to ${output}${isTarOutput(output) ? '' : '/'} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return 0;
}
