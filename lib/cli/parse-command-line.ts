// argv -> the command to run, with every flag and positional checked before anything starts: an
// unknown command or flag gets the closest valid one, a value outside its choices, a --jobs that
// is not a positive integer and an extra argument are usage errors (exit 2), not surprises later.
import { parseArgs } from 'node:util';
import { closest } from '../config/suggest.js';
import { StalkerError } from '../errors.js';
import { COMMANDS, findCommand, type Command, type Invocation, type Values } from './commands.js';
import { FLAGS, type Flag, type FlagName } from './flags.js';
import { findTree, resolveTree } from './tree-arg.js';

export type Parsed = { kind: 'help'; command?: Command } | { kind: 'version' } | { kind: 'run'; command: Command; invocation: Invocation };

type Options = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

function options(names: readonly FlagName[]): Options {
  return Object.fromEntries(
    names.map((n) => {
      const f: Flag = FLAGS[n];
      return [n, { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) }];
    }),
  );
}

export function usageError(message: string, command?: Command): never {
  const more = command ? `stalker help ${command.name}` : 'stalker --help';
  throw new StalkerError('USAGE', `${message}\n(${more} lists what it takes)`);
}

export function parseCommandLine(argv: string[], cwd = process.cwd()): Parsed {
  // first pass, lenient: only to find the command's name among flags it may follow
  const { tokens } = parseArgs({ args: argv, options: options(Object.keys(FLAGS) as FlagName[]), allowPositionals: true, strict: false, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
  const name = first?.kind === 'positional' ? first.value : undefined;
  let command = name === undefined ? undefined : findCommand(name);
  let rest = argv;
  if (command) rest = [...argv.slice(0, first!.index), ...argv.slice(first!.index + 1)];
  else if (name !== undefined && !findTree(name, cwd)) {
    const near = closest(
      name,
      COMMANDS.map((c) => c.name),
    );
    if (near || !/[/.]/.test(name)) usageError(`unknown command "${name}"${near ? ` (did you mean "${near}"?)` : ''}; not a tree either`);
    resolveTree(name, cwd); // throws, saying what is wrong with the path
  }
  if (!command) {
    if (tokens.some((t) => t.kind === 'option' && t.name === 'version')) return { kind: 'version' };
    command = findCommand('build') as Command;
  }

  const dashdash = command.dashdash ? rest.indexOf('--') : -1;
  const after = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
  const own = joinNegativeValues(dashdash >= 0 ? rest.slice(0, dashdash) : rest);
  const flags: FlagName[] = [...command.flags, 'help'];
  if (command === findCommand('build') && name === undefined) flags.push('version');
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: own, options: options(flags), allowPositionals: true, strict: true }));
  } catch (e) {
    return unknownFlag(e, command, flags);
  }
  if (values.version) return { kind: 'version' };
  if (values.help) return { kind: 'help', command: name === undefined ? undefined : command };
  if (command.name === 'version') {
    if (positionals.length) usageError(`unexpected argument "${positionals[0]}"`, command);
    return { kind: 'version' };
  }
  if (command.name === 'help') {
    if (positionals.length > 1) usageError(`unexpected argument "${positionals[1]}"`, command);
    if (!positionals.length) return { kind: 'help' };
    const about = findCommand(positionals[0]);
    if (!about) usageError(`no command "${positionals[0]}"${didYouMeanCommand(positionals[0])}`);
    return { kind: 'help', command: about };
  }
  checkValues(values, command);
  const args = [...positionals];
  if ((command.tree === 'required' || command.tree === 'optional') && Number.isFinite(command.max) && args.length > command.max) {
    const tree = args.shift() as string;
    if (values.config !== undefined) usageError(`the tree is given twice: "${tree}" and --config ${values.config}`, command);
    values.config = resolveTree(tree, cwd);
  } else if (typeof values.config === 'string') {
    values.config = findTree(values.config, cwd) ?? (/[/.]/.test(values.config) ? values.config : resolveTree(values.config, cwd));
  }
  if (args.length > command.max)
    usageError(`unexpected argument "${args[command.max]}": stalker ${command.name} takes ${command.args ?? 'no arguments'}`, command);
  if (args.length < command.min) usageError(`stalker ${command.name} needs ${command.args}`, command);
  if (command.tree === 'required' && values.config === undefined && args.length === command.min && args[0] !== undefined && findTree(args[0], cwd))
    usageError(`stalker ${command.name} ${args[0]} ${command.args}: ${command.args} is missing after the tree`, command);
  if (command.tree === 'required' && values.config === undefined)
    usageError(
      `no tree given: name it first (stalker ${command.name === 'build' ? '' : `${command.name} `}raspi${command.args ? ` ${command.args}` : ''}) or give --config trees/NAME/NAME.hjson`,
      command,
    );
  return { kind: 'run', command, invocation: { flags: values, args, after, argv: own } };
}

/** `--jobs -3` would be "ambiguous" to parseArgs; as `--jobs=-3` it gets the real complaint. */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = Object.entries(FLAGS).find(([n, f]) => f.type === 'string' && (args[i] === `--${n}` || ('short' in f && args[i] === `-${f.short}`)));
    if (flag && /^-\d/.test(args[i + 1] ?? '')) out.push(`--${flag[0]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

function checkValues(values: Values, command: Command): void {
  for (const [k, v] of Object.entries(values)) {
    const f: Flag = FLAGS[k as FlagName];
    for (const one of Array.isArray(v) ? v : [v]) {
      if (typeof one !== 'string') continue;
      // a value of three letters is as close to any other three-letter value: no guess for those
      const guess = one.length > 3 ? didYouMean(one, f.choices ?? []) : '';
      if (f.choices && !f.choices.includes(one)) usageError(`--${k} ${one}: expected one of ${f.choices.join(', ')}${guess}`, command);
      if (k === 'jobs' && !/^[1-9][0-9]{0,5}$/.test(one)) usageError(`--jobs ${one}: expected a positive integer`, command);
    }
  }
}

function unknownFlag(e: unknown, command: Command, flags: FlagName[]): never {
  const code = (e as { code?: string }).code ?? '';
  if (!code.startsWith('ERR_PARSE_ARGS')) throw e;
  const m = /option '(-{1,2})([^'=]+)/i.exec((e as Error).message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && m) {
    const flag = m[2];
    const elsewhere = COMMANDS.filter((c) => c.flags.includes(flag as FlagName)).map((c) => c.name);
    if (elsewhere.length)
      usageError(`stalker ${command.name} does not take --${flag} (${elsewhere.join(', ')} ${elsewhere.length > 1 ? 'do' : 'does'})`, command);
    const near = m[1] === '--' ? closest(flag, flags) : undefined;
    usageError(`unknown option ${m[1]}${flag}${near ? ` (did you mean "--${near}"?)` : ''}`, command);
  }
  usageError((e as Error).message, command);
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c ? ` (did you mean "${c}"?)` : '';
}

function didYouMeanCommand(word: string): string {
  return didYouMean(
    word,
    COMMANDS.map((c) => c.name),
  );
}
