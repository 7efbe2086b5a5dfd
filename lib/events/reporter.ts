// Picks how a build shows itself: the live view on a terminal, plain lines when the output is a
// pipe or a file (or --progress=plain), JSON lines with --progress=json.
import { StalkerError } from '../errors.js';
import { paletteFor } from './color.js';
import { attachConsole } from './console-reporter.js';
import type { BuildEvents } from './events.js';
import { attachLive } from './live-reporter.js';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'json'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export function parseProgress(value: string | undefined): ProgressMode {
  const mode = (value ?? 'auto') as ProgressMode;
  if (!PROGRESS_MODES.includes(mode)) throw new StalkerError('USAGE', `--progress ${value}: expected one of ${PROGRESS_MODES.join(', ')}`);
  return mode;
}

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function resolveMode(mode: ProgressMode, out: Out, env: NodeJS.ProcessEnv = process.env): 'tty' | 'plain' | 'json' {
  if (mode !== 'auto') return mode;
  return out.isTTY && env.TERM !== 'dumb' ? 'tty' : 'plain';
}

export function attachReporter(events: BuildEvents, mode: ProgressMode, out: Out, verbose: boolean, env: NodeJS.ProcessEnv = process.env): () => void {
  switch (resolveMode(mode, out, env)) {
    case 'json':
      return events.on((e) => out.write(`${JSON.stringify(e)}\n`));
    case 'plain':
      return attachConsole(events, out, verbose);
    case 'tty':
      return attachLive(events, out, { verbose, palette: paletteFor({ isTTY: true }, env) });
  }
}
