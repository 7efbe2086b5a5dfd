// `stalker shell <node>[:<step>] [--failed] [-- CMD...]`: a shell (or CMD) in a committed image,
// or with --failed in the state a failed step left, with that step's mounts and variables. The
// container goes through the engine port with this terminal attached, and is removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../engine/open-engine.js';
import { resolveImage } from '../inspect/image-target.js';
import { shellSpec } from '../inspect/shell-args.js';
import { emulatedCpuEnv } from '../run/emulated-cpu.js';
import { stageStep } from '../run/step-staging.js';
import { openProject } from './project.js';

export interface ShellFlags {
  config?: string;
  failed?: boolean;
}

const USAGE = 'usage: stalker shell <node>[:<step>] --config <tree> [--failed] [-- command...]';

export async function shellCommand(flags: ShellFlags, target: string | undefined, command: string[]): Promise<number> {
  const project = await openProject(flags.config);
  const engine = openEngine();
  const t = await resolveImage(engine, project.tree, target, { failed: flags.failed, usage: USAGE });
  const stage = await mkdtemp(join(tmpdir(), 'stalker-shell-'));
  let id: string | undefined;
  const ignore = () => {};
  try {
    const staged = t.stepConfig ? await stageStep(stage, t.stepConfig, project.cacheDir, engine.seesHostPaths, emulatedCpuEnv(t.node.platform)) : undefined;
    const terminal = tty();
    id = await engine.containers.create(
      shellSpec({
        ref: t.ref,
        platform: t.node.platform,
        tree: project.tree.name,
        node: t.node.name,
        step: t.step,
        binds: staged?.binds ?? [],
        volumes: staged?.volumes,
        staged: !!staged,
        command,
        tty: terminal,
      }),
    );
    for (const a of staged?.archives ?? []) await engine.containers.putArchive(id, await a.tar(), a.path);
    if (terminal)
      process.stderr.write(`stalker: shell in ${t.ref}${t.stepConfig ? ` with the env and mounts of step ${t.stepConfig.name}` : ''}; exit to leave\n`);
    // The container gets the terminal's Ctrl-C; we wait for it to exit rather than die first.
    process.on('SIGINT', ignore);
    if (terminal) process.stdin.setRawMode(true);
    return await engine.containers.runAttached(id, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  } finally {
    if (tty()) process.stdin.setRawMode(false);
    process.off('SIGINT', ignore);
    process.stdin.pause();
    if (id) await engine.containers.remove(id);
    await rm(stage, { recursive: true, force: true });
  }
}

const tty = () => !!process.stdin.isTTY && !!process.stdout.isTTY;
