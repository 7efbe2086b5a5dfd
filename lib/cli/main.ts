// The stalker command line. Errors of ours print their message only (no stack) and map to exit
// codes: 2 for usage and config, 1 for a failed build, 130/143 when interrupted. Config problems
// print as they are, one `file:line:col: message` per line, for editors' problem matchers.
import { printable } from '../config/printable.js';
import { takeEngineFlags } from './engine-flags.js';
import { StalkerError } from '../errors.js';
import { commandHelp, overview } from './help.js';
import { parseCommandLine } from './parse-command-line.js';
import { stalkerVersion } from './version.js';

// A reader that goes away (`stalker logs … | head -1`) is not an error: end quietly, as git does
// (which dies of SIGPIPE: the shell sees 141).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

async function main(argv: string[]): Promise<number> {
  // --engine/--store choose what openEngine() opens, for every command alike
  const parsed = parseCommandLine(takeEngineFlags(argv));
  switch (parsed.kind) {
    case 'version':
      process.stdout.write(`stalker ${stalkerVersion()}\n`);
      return 0;
    case 'help':
      process.stdout.write(`${parsed.command ? commandHelp(parsed.command) : overview()}\n`);
      return 0;
    case 'run':
      return parsed.command.run(parsed.invocation);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof StalkerError) {
      // config problems are escaped already; a usage error quotes argv, which may hold anything
      const text = err.code === 'USAGE' ? err.message.split('\n').map(printable).join('\n') : err.message;
      process.stderr.write(err.code === 'CONFIG_INVALID' ? `${text}\n` : `stalker: ${text}\n`);
      process.exitCode = err.code === 'USAGE' || err.code === 'CONFIG_INVALID' ? 2 : 1;
    } else if (typeof e?.syscall === 'string' && typeof e.code === 'string') {
      // the system refused something (a full disk, a read-only logs/): say so, it is not our bug
      process.stderr.write(`stalker: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`stalker: internal error: ${e?.stack ?? String(err)}\n`);
      process.exitCode = 70;
    }
  },
);
