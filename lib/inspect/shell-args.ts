// The `docker run` command line of `stalker shell`: the step's image, its mounts (the staged
// script dir with its env file, stalk mounts, sysroot files, named caches) and its variables,
// labelled like every container stalker makes so a sweep can find a leftover one.
import type { BindMount } from '../engine/engine-port.js';
import { LABEL, TOOL, TOOL_VERSION } from '../engine/labels.js';
import { STAGE_TARGET } from '../run/step-staging.js';

export interface ShellSpec {
  ref: string; // image
  platform: string;
  tree: string;
  node: string;
  step?: string;
  binds: BindMount[]; // empty when the image has no stalk step to take env and mounts from
  command: string[]; // empty: an interactive login shell
  tty: boolean;
  pid?: number;
}

/** bash when the image has it, else sh. */
const LOGIN_SHELL = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; else exec /bin/sh; fi'];

export function shellArgs(s: ShellSpec): string[] {
  const labels = {
    [LABEL.tool]: TOOL, [LABEL.version]: TOOL_VERSION, [LABEL.run]: 'shell', [LABEL.pid]: String(s.pid ?? process.pid),
    [LABEL.tree]: s.tree, [LABEL.node]: s.node, ...(s.step ? { [LABEL.step]: s.step } : {}),
  };
  const args = ['run', '--rm', '-i', ...(s.tty ? ['-t'] : []), '--platform', s.platform, '--network', 'host', '-w', '/'];
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  for (const b of s.binds) args.push('-v', `${b.source}:${b.target}:${b.readOnly ? 'ro' : 'rw'}`);
  const command = s.command.length ? s.command : LOGIN_SHELL;
  // The staged entry loads the step's variables, as it does for the step itself.
  const staged = s.binds.some((b) => b.target === STAGE_TARGET);
  args.push('--entrypoint', '/bin/sh', s.ref, ...(staged ? [`${STAGE_TARGET}/entry`] : ['-c', 'exec "$@"', 'sh']), ...command);
  return args;
}
