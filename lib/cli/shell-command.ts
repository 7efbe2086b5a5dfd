// `stalker shell <node>[:<step>] [--failed] [-- CMD...]`: a shell (or CMD) in a committed image,
// or with --failed in the state a failed step left, with that step's mounts and variables. Runs
// the docker CLI with stdio inherited, so the terminal is the container's.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerEngine } from '../engine/docker-engine.js';
import { StalkerError } from '../errors.js';
import { resolveImage } from '../inspect/image-target.js';
import { shellArgs } from '../inspect/shell-args.js';
import { stageStep } from '../run/step-staging.js';
import { openProject } from './project.js';

export interface ShellFlags { config?: string; failed?: boolean }

const USAGE = 'usage: stalker shell <node>[:<step>] --config <tree> [--failed] [-- command...]';

export async function shellCommand(flags: ShellFlags, target: string | undefined, command: string[]): Promise<number> {
  const project = await openProject(flags.config);
  const t = await resolveImage(new DockerEngine(), project.tree, target, { failed: flags.failed, usage: USAGE });
  const stage = await mkdtemp(join(tmpdir(), 'stalker-shell-'));
  try {
    const staged = t.stepConfig ? await stageStep(stage, t.stepConfig, project.cacheDir) : undefined;
    const tty = !!process.stdin.isTTY && !!process.stdout.isTTY;
    const args = shellArgs({
      ref: t.ref, platform: t.node.platform, tree: project.tree.name, node: t.node.name, step: t.step,
      binds: staged?.binds ?? [], command, tty,
    });
    if (tty) process.stderr.write(`stalker: shell in ${t.ref}${t.stepConfig ? ` with the env and mounts of step ${t.stepConfig.name}` : ''}; exit to leave\n`);
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(process.env.STALKER_DOCKER ?? 'docker', args, { stdio: 'inherit' });
      // The container gets the terminal's Ctrl-C; we wait for it to exit rather than die first.
      const ignore = () => {};
      process.on('SIGINT', ignore);
      child.on('error', (err) => reject(new StalkerError('NOT_FOUND', `cannot run the docker CLI: ${err.message}`, { cause: err })));
      child.on('close', (code, signal) => {
        process.off('SIGINT', ignore);
        resolve(code ?? (signal ? 128 + 2 : 1));
      });
    });
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
