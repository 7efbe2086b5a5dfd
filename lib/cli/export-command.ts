// `stalker export <node>[:<step>] --output <dir|file.tar> [--failed]`: a node's root filesystem.
import { openEngine } from '../engine/open-engine.js';
import { StalkerError } from '../errors.js';
import { exportRootfs, isTarOutput } from '../inspect/export-rootfs.js';
import { resolveImage } from '../inspect/image-target.js';
import { openProject } from './project.js';

export interface ExportFlags {
  config?: string;
  output?: string;
  failed?: boolean;
}

const USAGE = 'usage: stalker export <node>[:<step>] --config <tree> --output <dir|file.tar> [--failed]';

export async function exportCommand(flags: ExportFlags, target: string | undefined): Promise<number> {
  if (!flags.output) throw new StalkerError('USAGE', `missing --output\n${USAGE}`);
  const project = await openProject(flags.config);
  const engine = openEngine();
  const t = await resolveImage(engine, project.tree, target, { failed: flags.failed, usage: USAGE });
  const started = Date.now();
  await exportRootfs({ engine, ref: t.ref, platform: t.node.platform, tree: project.tree.name, node: t.node.name, output: flags.output });
  process.stderr.write(`exported ${t.ref} to ${flags.output}${isTarOutput(flags.output) ? '' : '/'} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return 0;
}
