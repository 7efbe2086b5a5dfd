// `stalker report [--run ID]`: (re)writes a run's HTML report from its event log, prints its path.
import { existsSync } from 'node:fs';
import { StalkerError } from '../errors.js';
import { resolveRun } from '../inspect/run-select.js';
import { writeReportFromLog } from '../report/write-report.js';
import { openProject } from './project.js';

export async function reportCommand(flags: { config?: string; run?: string }): Promise<number> {
  const project = await openProject(flags.config);
  const run = await resolveRun(project.logsDir, project.tree.name, flags.run);
  if (!existsSync(run.paths.events)) throw new StalkerError('NOT_FOUND', `run ${run.id} has no event log (${run.paths.events})`);
  process.stdout.write(`${await writeReportFromLog(run.dir)}\n`);
  return 0;
}
