// `stalker --help` (every command, one line each) and `stalker help CMD` / `CMD --help` (its
// arguments, each flag on one line, its exit codes and the environment it reads).
import { COMMANDS, type Command } from './commands.js';
import { FLAGS, flagSyntax, type Flag } from './flags.js';

const EXITS = ['0    success', '2    bad usage or an invalid config (one file:line:col: message per problem)'];
const PIPE = '141  the reader of stdout went away (stalker logs … | head): ends quietly, as git does';
const TREE = 'TREE: a tree by name (raspi: trees/raspi/raspi.hjson here or above), directory (trees/raspi) or file';

function synopsis(c: Command): string {
  const tree = c.tree === 'required' ? ' TREE' : c.tree === 'optional' ? ' [TREE]' : '';
  const name = c.name === 'build' ? '[build]' : c.name;
  return `stalker ${name}${tree}${c.args ? ` ${c.args}` : ''}${c.flags.length ? ' [options]' : ''}`;
}

export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: stalker [COMMAND] [TREE] [options]',
    '',
    'Builds embedded-Linux images from an hjson tree of container steps.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    TREE,
    '',
    'every command: --engine docker|userns|proot (default docker; STALKER_ENGINE) and --store DIR',
    "  (the rootless engines' image store; STALKER_STORE, default $XDG_DATA_HOME/stalker)",
    '',
    'stalker help COMMAND (or COMMAND --help) shows its options, exit codes and environment.',
    'stalker --version prints the version. Reference: lib/cli/README.md.',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  const flags = [...c.flags, 'help' as const];
  const width = Math.max(...flags.map((f) => flagSyntax(f).length));
  const line = (name: (typeof flags)[number]) => {
    const f: Flag = FLAGS[name];
    return `  ${flagSyntax(name).padEnd(width)}  ${f.help}`;
  };
  const exits =
    c.name === 'help' || c.name === 'version'
      ? []
      : [...EXITS.slice(0, 1), ...(c.exits ?? ['1    the command failed, or what it names does not exist']), ...EXITS.slice(1), PIPE];
  return [
    `usage: ${synopsis(c)}`,
    '',
    `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`,
    ...(c.tree === 'required' || c.tree === 'optional' ? ['', TREE] : []),
    '',
    'options:',
    ...flags.map(line),
    ...(exits.length ? ['', 'exit codes:', ...exits.map((e) => `  ${e}`)] : []),
    ...(c.env?.length ? ['', 'environment:', ...c.env.map((e) => `  ${e}`)] : []),
  ].join('\n');
}
