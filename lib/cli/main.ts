// The stalker command line. Errors of ours print their message only (no stack) and map to exit
// codes: 2 for usage and config, 1 for a failed build, 130/143 when interrupted.
import { parseArgs } from 'node:util';
import { StalkerError } from '../errors.js';
import { buildCommand } from './build-command.js';
import { explainCommand } from './explain-command.js';
import { logsCommand } from './logs-command.js';

const USAGE = `usage:
  stalker --config trees/NAME/NAME.hjson [--jobs N] [--keep-going] [--no-cache] [--rebuild NODE]... [--verbose] [--progress plain|json]
  stalker explain NODE --config TREE     why each step of NODE would run (which key part changed)
  stalker plan --config TREE             the same for every node
  stalker logs NODE[:STEP] --config TREE [--run ID]
  stalker flash IMAGE --device PATH [--yes] [--allow-file]`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  jobs: { type: 'string', short: 'j' },
  'keep-going': { type: 'boolean', short: 'k' },
  'no-cache': { type: 'boolean' },
  rebuild: { type: 'string', multiple: true },
  verbose: { type: 'boolean', short: 'v' },
  progress: { type: 'string' },
  run: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'flash') {
    const { flashCommand } = await import('../flash/flash.js'); // loaded only for this command
    return flashCommand(argv.slice(1));
  }
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command = 'build', ...rest] = positionals;
  switch (command) {
    case 'build': return buildCommand(values);
    case 'explain': return explainCommand(values.config, rest[0]);
    case 'plan': return explainCommand(values.config, undefined);
    case 'logs': return logsCommand(values.config, rest[0], values.run);
    default: throw new StalkerError('USAGE', `unknown command ${command}\n${USAGE}`);
  }
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
