// Runs the image writer where it keeps owners: in-process when stalker is root, else as a child
// process that is root of the engine's user namespace (rootless engines offer one).
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../engine/engine-port.js';
import { writeImage, type WriterEvent, type WriterOptions, type WriterResult } from '../writer/write-image.js';
import { WriterError } from '../writer/writer-error.js';
import type { WriterErrorCode } from '../writer/writer-error.js';

const CHILD = fileURLToPath(new URL('../writer/writer-child.js', import.meta.url));

type Line = { event: WriterEvent } | { result: WriterResult } | { error: { code: string; message: string } };

export async function writeImageAs(engine: Engine, tar: Readable, options: WriterOptions, events: (e: WriterEvent) => void): Promise<WriterResult> {
  if (process.getuid?.() === 0 || !engine.asRoot) return writeImage(tar, options, events);
  let outcome: Line | undefined;
  const code = await engine.asRoot([process.execPath, CHILD, JSON.stringify(options)], tar, (out) => {
    const lines = createInterface({ input: out });
    lines.on('line', (text) => {
      const line = JSON.parse(text) as Line;
      if ('event' in line) events(line.event);
      else outcome = line;
    });
    return new Promise<void>((resolve) => lines.on('close', resolve));
  });
  if (outcome && 'result' in outcome) return outcome.result;
  const err = outcome && 'error' in outcome ? outcome.error : { code: 'WRITER_TOOL', message: `the writer process exited with ${code}` };
  throw new WriterError(err.code as WriterErrorCode, err.message);
}
