// The run's structured event log: one JSON object per line (winston), every event but the
// per-line step output, which lives in the step logs. winston is imported when a log is opened,
// so a build loads it while its first engine calls are in flight, and readers never load it.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BuildEvents, StalkerEvent } from './events.js';

export async function attachJsonLog(events: BuildEvents, file: string): Promise<() => Promise<void>> {
  const [{ default: winston }] = await Promise.all([import('winston'), mkdir(dirname(file), { recursive: true })]);
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.printf((info) => JSON.stringify(info.event)),
    transports: [new winston.transports.File({ filename: file })],
  });
  const off = events.on((e: StalkerEvent) => {
    if (e.type !== 'step-output') logger.info({ message: e.type, event: e });
  });
  return async () => {
    off();
    const done = new Promise<void>((resolve) => logger.on('finish', () => resolve()));
    logger.end();
    await done;
  };
}

export function parseEventLog(text: string): StalkerEvent[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as StalkerEvent);
}
