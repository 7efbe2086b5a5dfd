// The stalker command line. Errors of ours print their message only (no stack) and map to exit
// codes: 2 for usage and config, 1 for a failed build, 130/143 when interrupted.
import { parseArgs } from 'node:util';
import { StalkerError } from '../errors.js';
import { buildCommand } from './build-command.js';
import { explainCommand } from './explain-command.js';
import { logsCommand } from './logs-command.js';

const USAGE = `usage: stalker [COMMAND] --config trees/NAME/NAME.hjson [options]   (see lib/cli/README.md)
  stalker --config TREE [--jobs N] [--keep-going] [--no-cache] [--rebuild NODE]... [--verbose] [--progress auto|tty|plain|json]
         [--cache-from HOST:PORT/NS] [--cache-to HOST:PORT/NS] [--engines SITE.hjson]   shared cache, site file
  stalker plan --config TREE [--json]            every step: cached, will run (which key part changed) or blocked
  stalker explain NODE --config TREE [--json]    the same for one node
  stalker graph --config TREE [--format dot|svg] [--output FILE]
  stalker logs NODE[:STEP] --config TREE [--run ID] [-f]
  stalker events --config TREE [--run ID] [--node NODE] [--json]
  stalker report --config TREE [--run ID]        (re)write the run's report.html
  stalker shell NODE[:STEP] --config TREE [--failed] [-- CMD...]
  stalker export NODE[:STEP] --config TREE --output DIR|FILE.tar [--failed]
  stalker prune [--config TREE] [--tree NAME]... [--older-than DUR] [--yes]
  stalker doctor [--config TREE]
  stalker binfmt [--config TREE] [ARCH...]
  stalker flash IMAGE --device PATH [--yes] [--allow-file] [--no-sparse] [--no-verify]`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  jobs: { type: 'string', short: 'j' },
  'keep-going': { type: 'boolean', short: 'k' },
  'no-cache': { type: 'boolean' },
  rebuild: { type: 'string', multiple: true },
  verbose: { type: 'boolean', short: 'v' },
  progress: { type: 'string' },
  run: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  node: { type: 'string' },
  json: { type: 'boolean' },
  failed: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  'older-than': { type: 'string' },
  tree: { type: 'string', multiple: true },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
  // The shared step cache (issue 11): build, plan and explain.
  'cache-from': { type: 'string' },
  'cache-to': { type: 'string' },
  engines: { type: 'string' },
} as const;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'flash') {
    const { flashCommand } = await import('../flash/flash.js'); // loaded only for this command
    return flashCommand(argv.slice(1));
  }
  const dashdash = argv.indexOf('--');
  const after = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
  const { values, positionals } = parseArgs({ args: dashdash >= 0 ? argv.slice(0, dashdash) : argv, options: OPTIONS, allowPositionals: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command = 'build', ...rest] = positionals;
  // Each command is loaded when used, so a build does not pay for the inspection tools.
  switch (command) {
    case 'build': return buildCommand(values);
    case 'explain': return explainCommand(values, rest[0] ?? usage('explain needs a NODE'));
    case 'plan': return explainCommand(values, undefined);
    case 'logs': return logsCommand(values, rest[0]);
    case 'events': return (await import('./events-command.js')).eventsCommand(values);
    case 'report': return (await import('./report-command.js')).reportCommand(values);
    case 'graph': return (await import('./graph-command.js')).graphCommand(values);
    case 'shell': return (await import('./shell-command.js')).shellCommand(values, rest[0], [...rest.slice(1), ...after]);
    case 'export': return (await import('./export-command.js')).exportCommand(values, rest[0]);
    case 'prune': return (await import('./prune-command.js')).pruneCommand(values);
    case 'doctor': return (await import('./doctor-command.js')).doctorCommand(values);
    case 'binfmt': return (await import('./doctor-command.js')).binfmtCommand(values, rest);
    default: return usage(`unknown command ${command}`);
  }
}

function usage(message: string): never {
  throw new StalkerError('USAGE', `${message}\n${USAGE}`);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof StalkerError) {
      process.stderr.write(`stalker: ${err.message}\n`);
      process.exitCode = err.code === 'USAGE' || err.code === 'CONFIG_INVALID' ? 2 : 1;
    } else if ((err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`stalker: ${(err as Error).message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`stalker: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 70;
    }
  },
);
