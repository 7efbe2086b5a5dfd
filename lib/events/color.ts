// Terminal colors, only when they help: a TTY, a TERM that is not "dumb", and no NO_COLOR
// (https://no-color.org: present and not empty disables color).
export interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export const COLORS: Palette = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  blue: sgr(34, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
};

const same = (s: string) => s;
export const NO_COLORS: Palette = { red: same, green: same, yellow: same, blue: same, dim: same, bold: same };

export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY && env.TERM !== 'dumb';
}

export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Palette {
  return wantsColor(stream, env) ? COLORS : NO_COLORS;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
export const stripAnsi = (s: string) => s.replace(ANSI, '');

/** Cuts plain text to `width` columns (one column per code point; good enough for log lines). */
export function fit(text: string, width: number): string {
  const clean = stripAnsi(text).replace(/[\r\t]/g, ' ');
  const chars = [...clean];
  if (chars.length <= width) return clean;
  return width < 1 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

export function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}
