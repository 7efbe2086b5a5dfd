// Finding a run's directory again: `latest` (the link a finished run leaves), the newest run
// directory (a run still going has not moved `latest` yet), or an id or unique prefix of one.
import { existsSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { StalkerError } from '../errors.js';
import { LogPaths } from '../logs/log-paths.js';

export interface RunRef {
  id: string;
  dir: string;
  paths: LogPaths;
}

/** Run ids start with their UTC time stamp, so name order is start order. */
export async function listRuns(logsDir: string, tree: string): Promise<string[]> {
  const dir = join(logsDir, tree, 'runs');
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

const ref = (logsDir: string, tree: string, id: string): RunRef => {
  const paths = new LogPaths(logsDir, tree, id);
  return { id, dir: paths.runDir, paths };
};

/**
 * `wanted` undefined or "latest": the run `latest` points to; "newest": the last started run
 * (what `-f` follows); otherwise an id or unique prefix.
 */
export async function resolveRun(logsDir: string, tree: string, wanted?: string): Promise<RunRef> {
  const runs = await listRuns(logsDir, tree);
  if (!runs.length) throw new StalkerError('NOT_FOUND', `no runs of tree ${tree} under ${join(logsDir, tree)}: build it first`);
  if (wanted === undefined || wanted === 'latest') {
    const link = await readlink(new LogPaths(logsDir, tree, '').latestLink).catch(() => undefined);
    const id = link ? basename(link) : runs[runs.length - 1];
    return ref(logsDir, tree, runs.includes(id) ? id : runs[runs.length - 1]);
  }
  if (wanted === 'newest') return ref(logsDir, tree, runs[runs.length - 1]);
  if (runs.includes(wanted)) return ref(logsDir, tree, wanted);
  const matches = runs.filter((r) => r.startsWith(wanted));
  if (matches.length === 1) return ref(logsDir, tree, matches[0]);
  const recent = runs.slice(-5).reverse().join(', ');
  throw new StalkerError(
    'NOT_FOUND',
    matches.length ? `run ${wanted} is ambiguous: ${matches.join(', ')}` : `no run ${wanted} of tree ${tree} (recent: ${recent})`,
  );
}
