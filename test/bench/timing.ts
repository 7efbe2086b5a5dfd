// Small helpers for benchmarks: wall time of a command, best of N, median, and ratio lines.
import { spawnSync } from 'node:child_process';

export function timeCommand(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return ms / 1000;
}

export function bestOf(n: number, fn: () => number): number {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, fn());
  return best;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function ratioLine(label: string, ours: number, base: number, baseLabel: string, goal: number): string {
  const ratio = ours / base;
  const verdict = ratio <= goal ? 'ok' : 'OVER GOAL';
  return `${label}: stalker ${ours.toFixed(2)}s vs ${baseLabel} ${base.toFixed(2)}s = ${ratio.toFixed(2)}x (goal <= ${goal}x) ${verdict}`;
}
