// Writes a run's report.html beside its events.jsonl. Built from the events alone, so a report
// can be made again later from any run's log (`stalker report`).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StalkerEvent } from '../events/events.js';
import { parseEventLog } from '../events/json-log.js';
import { foldEvents } from '../events/progress-state.js';
import { renderReport } from './html-report.js';

export const REPORT_FILE = 'report.html';

/** `runDir` is logs/<tree>/runs/<run>: step logs sit at <node>/<step>.log below it. */
export async function writeRunReport(runDir: string, events: Iterable<StalkerEvent>): Promise<string> {
  const run = foldEvents(events);
  const html = renderReport(run, {
    logHref: (node, step) => {
      const rel = `${encodeURIComponent(node)}/${encodeURIComponent(step.step)}.log`;
      return step.status !== 'cached' && existsSync(join(runDir, node, `${step.step}.log`)) ? rel : undefined;
    },
  });
  const file = join(runDir, REPORT_FILE);
  await writeFile(file, html);
  return file;
}

export async function writeReportFromLog(runDir: string): Promise<string> {
  return writeRunReport(runDir, parseEventLog(await readFile(join(runDir, 'events.jsonl'), 'utf8')));
}
