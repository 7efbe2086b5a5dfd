// The image writer as a process of its own, for a rootless engine: started as root of the
// engine's user namespace, it unpacks the rootfs keeping every owner (the ids are mapped there)
// where an ordinary user's process could not. Options as JSON in argv; the rootfs tar on stdin;
// one JSON line per event and a last line with the result or the error.
import { writeImage, type WriterOptions } from './write-image.js';
import { WriterError } from './writer-error.js';

const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

const options = JSON.parse(process.argv[2] ?? '{}') as WriterOptions;
writeImage(process.stdin, options, (e) => say({ event: e })).then(
  (result) => say({ result }),
  (err: unknown) => {
    say({ error: { code: err instanceof WriterError ? err.code : 'WRITER_TOOL', message: (err as Error).message ?? String(err) } });
    process.exitCode = 1;
  },
);
