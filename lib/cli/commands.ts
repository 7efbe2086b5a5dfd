// The commands: what each takes and says in its help, and how it runs. A command's modules are
// imported only when it runs, so `stalker --help` or a usage error never loads dockerode, winston
// or the build (startup is a benchmark: test/bench/startup.bench.ts).
import type { FlagName } from './flags.js';

export type Values = { [k: string]: string | boolean | (string | boolean)[] | undefined };

export interface Invocation {
  flags: Values;
  /** positionals after the tree (NODE, IMAGE, ARCH...) */
  args: string[];
  /** what came after `--` */
  after: string[];
  /** the command line after the command's name, for commands that parse their own */
  argv: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** positionals besides the tree, as help shows them */
  args?: string;
  min: number;
  max: number;
  /** a tree: from --config or the first positional ('config' only: through --config alone) */
  tree: 'required' | 'optional' | 'config' | 'none';
  flags: FlagName[];
  exits?: string[];
  env?: string[];
  dashdash?: boolean;
  run(i: Invocation): Promise<number>;
}

const ENGINE_ENV = [
  'DOCKER_HOST      the engine (default unix:///var/run/docker.sock)',
  'STALKER_DEBUG=1  print every engine call on stderr',
  'STALKER_ENGINES  the site file (engines, shared cache)',
];
const COLOR_ENV = ['NO_COLOR, TERM=dumb, FORCE_COLOR=1  color on a terminal: off, off, forced'];
const CACHE_FLAGS: FlagName[] = ['cache-from', 'cache-to', 'engines'];
const PLAN_FLAGS: FlagName[] = ['config', 'json', 'no-cache', 'rebuild', ...CACHE_FLAGS];

export const COMMANDS: Command[] = [
  {
    name: 'build',
    summary: 'build the tree (the default command); a rerun resumes from the cache',
    min: 0,
    max: 0,
    tree: 'required',
    flags: ['config', 'jobs', 'keep-going', 'no-cache', 'rebuild', 'verbose', 'progress', ...CACHE_FLAGS],
    exits: ['1    a step failed, or another build holds the repository', '130  interrupted (Ctrl-C); 143 terminated (SIGTERM)'],
    env: [
      ...ENGINE_ENV,
      ...COLOR_ENV,
      'STALKER_CACHE_DIR  named caches (default .stalker/caches/)',
      'STALKER_LOCK_DIR   build locks (default /run/lock/stalker/)',
      'STALKER_QEMU_CPU   the CPU qemu-user emulates for foreign arm64 steps (default cortex-a72; "" for qemu\'s max)',
    ],
    run: async (i) => (await import('./build-command.js')).buildCommand(i.flags),
  },
  {
    name: 'plan',
    summary: 'every step: cached, will run (which key part changed) or blocked',
    min: 0,
    max: 0,
    tree: 'required',
    flags: PLAN_FLAGS,
    env: [...ENGINE_ENV, ...COLOR_ENV],
    run: async (i) => (await import('./explain-command.js')).explainCommand(i.flags, undefined),
  },
  {
    name: 'explain',
    summary: 'the plan of one node, and why each step runs',
    args: 'NODE',
    min: 1,
    max: 1,
    tree: 'required',
    flags: PLAN_FLAGS,
    env: [...ENGINE_ENV, ...COLOR_ENV],
    run: async (i) => (await import('./explain-command.js')).explainCommand(i.flags, i.args[0]),
  },
  {
    name: 'graph',
    summary: 'the DAG as Graphviz DOT or SVG, colored by cache state',
    min: 0,
    max: 0,
    tree: 'required',
    flags: ['config', 'format', 'output'],
    env: ENGINE_ENV,
    run: async (i) => (await import('./graph-command.js')).graphCommand(i.flags),
  },
  {
    name: 'logs',
    summary: 'step logs of the latest run, or of one run; -f follows a running build',
    args: 'NODE[:STEP]',
    min: 1,
    max: 1,
    tree: 'required',
    flags: ['config', 'run', 'follow'],
    exits: ['1    no such logs; with -f: the followed step failed or was skipped'],
    run: async (i) => (await import('./logs-command.js')).logsCommand(i.flags, i.args[0]),
  },
  {
    name: 'events',
    summary: "a run's event log as a tree of actions with durations",
    min: 0,
    max: 0,
    tree: 'required',
    flags: ['config', 'run', 'node', 'json'],
    env: COLOR_ENV,
    run: async (i) => (await import('./events-command.js')).eventsCommand(i.flags),
  },
  {
    name: 'report',
    summary: "(re)write a run's self-contained HTML report",
    min: 0,
    max: 0,
    tree: 'required',
    flags: ['config', 'run'],
    run: async (i) => (await import('./report-command.js')).reportCommand(i.flags),
  },
  {
    name: 'shell',
    summary: "an interactive shell in a step's image, with its mounts and variables",
    args: 'NODE[:STEP] [-- COMMAND...]',
    min: 1,
    max: 1,
    tree: 'required',
    flags: ['config', 'failed'],
    dashdash: true,
    exits: ['1    no such image (not built yet, or no kept failed state)', "N    with -- COMMAND: the command's own exit code"],
    env: ENGINE_ENV,
    run: async (i) => (await import('./shell-command.js')).shellCommand(i.flags, i.args[0], i.after),
  },
  {
    name: 'export',
    summary: "a node's root filesystem as a directory or a tar file, or its image into Docker or an OCI layout",
    args: 'NODE[:STEP]',
    min: 1,
    max: 1,
    tree: 'required',
    flags: ['config', 'output', 'failed', 'docker', 'oci'],
    env: ENGINE_ENV,
    run: async (i) => (await import('./export-command.js')).exportCommand(i.flags, i.args[0]),
  },
  {
    name: 'prune',
    summary: 'remove images, containers and shared-cache tags no current tree references (dry run by default)',
    min: 0,
    max: 0,
    tree: 'optional',
    flags: ['config', 'tree', 'older-than', 'yes', ...CACHE_FLAGS],
    env: ENGINE_ENV,
    run: async (i) => (await import('./prune-command.js')).pruneCommand(i.flags),
  },
  {
    name: 'doctor',
    summary: 'check the host: engine, binfmt, disk, tools; each problem with its fix',
    min: 0,
    max: 0,
    tree: 'optional',
    flags: ['config'],
    exits: ['1    a check failed'],
    env: ENGINE_ENV,
    run: async (i) => (await import('./doctor-command.js')).doctorCommand(i.flags),
  },
  {
    name: 'binfmt',
    summary: 'register the qemu-user handlers the tree needs (root)',
    args: '[ARCH...]',
    min: 0,
    max: Infinity,
    tree: 'config',
    flags: ['config'],
    run: async (i) => (await import('./doctor-command.js')).binfmtCommand(i.flags, i.args),
  },
  {
    name: 'flash',
    summary: 'write an image to a removable device, refusing unsafe targets; --provision adds per-device files',
    args: 'IMAGE',
    min: 1,
    // --provision FILE... takes the arguments after it; flashCommand refuses any other extra one
    max: Infinity,
    tree: 'none',
    flags: ['device', 'yes', 'allow-file', 'no-sparse', 'no-verify', 'provision'],
    exits: ['1    a refused target, a failed write or read-back, or an image with no FAT partition for --provision'],
    run: async (i) => (await import('../flash/flash.js')).flashCommand(i.argv),
  },
  {
    name: 'provision',
    summary: "put per-device provisioning files on an image's FAT boot partition; the device applies them once at its next boot",
    args: 'IMAGE FILE...',
    min: 2,
    max: Infinity,
    tree: 'none',
    flags: [],
    exits: ['1    the image is missing, compressed, without a FAT partition or not matching its .sha256; mtools failed; a read-back differs'],
    run: async (i) => (await import('./provision-command.js')).provisionCommand(i.args),
  },
  { name: 'help', summary: 'this overview, or one command in full', args: '[COMMAND]', min: 0, max: 1, tree: 'none', flags: [], run: async () => 0 },
  { name: 'version', summary: "stalker's version", min: 0, max: 0, tree: 'none', flags: [], run: async () => 0 },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
