// `stalker events`: a run's structured log as a tree of actions (run -> node -> step) with
// outcomes and durations; `--node` keeps one node, `--json` prints the raw events.
import { readFile } from 'node:fs/promises';
import { paletteFor } from '../events/color.js';
import { parseEventLog } from '../events/json-log.js';
import { foldEvents } from '../events/progress-state.js';
import { StalkerError } from '../errors.js';
import { eventTree } from '../inspect/event-tree.js';
import { resolveRun } from '../inspect/run-select.js';
import { openProject } from './project.js';

export interface EventsFlags {
  config?: string;
  run?: string;
  node?: string;
  json?: boolean;
}

export async function eventsCommand(flags: EventsFlags): Promise<number> {
  const project = await openProject(flags.config);
  const run = await resolveRun(project.logsDir, project.tree.name, flags.run);
  const text = await readFile(run.paths.events, 'utf8').catch(() => {
    throw new StalkerError('NOT_FOUND', `run ${run.id} has no event log (${run.paths.events})`);
  });
  // A run still going may be mid-line: show the complete events.
  const events = parseEventLog(text.slice(0, text.lastIndexOf('\n') + 1));
  const view = foldEvents(events);
  if (flags.node && !view.nodes.has(flags.node)) {
    throw new StalkerError('USAGE', `run ${run.id} has no node ${flags.node} (nodes: ${[...view.nodes.keys()].join(', ')})`);
  }
  if (flags.json) {
    for (const e of events) if (!flags.node || !('node' in e) || e.node === flags.node) process.stdout.write(`${JSON.stringify(e)}\n`);
    return 0;
  }
  process.stdout.write(
    `${eventTree(view, { node: flags.node, palette: paletteFor(process.stdout), logPathOf: (n, s) => run.paths.stepInRun(n, s) }).join('\n')}\n`,
  );
  return 0;
}
