// The container of `stalker shell`: the step's image, its inputs (the staged script dir with its
// env file, stalk mounts, sysroot files, named caches, as binds or as volumes and archives,
// whichever the engine takes) and its variables, labelled like every container stalker makes so a
// sweep can find a leftover one.
import type { BindMount, ContainerSpec, VolumeMount } from '../engine/engine-port.js';
import { ownerLabels } from '../engine/labels.js';
import { STAGE_TARGET } from '../run/step-staging.js';

export interface ShellSpec {
  ref: string; // image
  platform: string;
  tree: string;
  node: string;
  step?: string;
  binds: BindMount[]; // empty when the image has no stalk step to take env and mounts from
  volumes?: VolumeMount[];
  /** Whether the step's staged entry (which loads its variables) is in the container. */
  staged: boolean;
  command: string[]; // empty: an interactive login shell
  tty: boolean;
  pid?: number;
}

/** bash when the image has it, else sh. */
const LOGIN_SHELL = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; else exec /bin/sh; fi'];

export function shellSpec(s: ShellSpec): ContainerSpec {
  const labels = ownerLabels({ run: 'shell', tree: s.tree, node: s.node, step: s.step, pid: s.pid });
  const command = s.command.length ? s.command : LOGIN_SHELL;
  // The staged entry loads the step's variables, as it does for the step itself.
  const cmd = ['/bin/sh', ...(s.staged ? [`${STAGE_TARGET}/entry`] : ['-c', 'exec "$@"', 'sh']), ...command];
  return {
    image: s.ref,
    platform: s.platform,
    cmd,
    labels,
    workingDir: '/',
    binds: s.binds,
    volumes: s.volumes ?? [],
    tty: s.tty,
    stdin: true,
  };
}
