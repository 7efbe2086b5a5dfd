// A tree built through bin/stalker as a user runs it (every cached node reused), its output in a
// log file; the build's failure is the test's, with the log's tail.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from './raspi-image.js';

export function buildTree(tree: string, log: string, timeoutMs = 60 * 60_000): { seconds: number; summary: string } {
  mkdirSync(dirname(log), { recursive: true });
  const out = openSync(log, 'w');
  const started = Date.now();
  const r = spawnSync(join(ROOT, 'bin/stalker'), ['--config', tree], { cwd: ROOT, stdio: ['ignore', out, out], timeout: timeoutMs });
  closeSync(out);
  const text = readFileSync(log, 'utf8');
  if (r.status !== 0)
    throw new Error(`bin/stalker --config ${relative(ROOT, tree)} exited ${r.status} ${r.error ?? ''}\n${text.split('\n').slice(-40).join('\n')}`);
  return { seconds: (Date.now() - started) / 1000, summary: /^done in .*/m.exec(text)?.[0] ?? '' };
}
