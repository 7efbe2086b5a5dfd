import { appendFileSync, closeSync, constants, fstatSync, openSync, readSync, statSync, truncateSync } from 'node:fs';

// QEMU's stdout and stderr go to a file, not a pipe: a VM outlives the agent that started it, and a
// pipe would break (SIGPIPE) or fill up once that agent is gone. The next agent reads the same file.

/** Opens the output file afresh for a launch. Append mode: after a trim qemu's writes land at the new end. */
export function openVmLog(file: string): number {
  return openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND, 0o640);
}

function readTail(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(bytes, size);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Keeps the file at most maxBytes: when it is over, only its newest half is kept. */
export function boundVmLog(file: string, maxBytes: number): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size <= maxBytes) return;
  const tail = readTail(file, Math.floor(maxBytes / 2));
  truncateSync(file, 0);
  appendFileSync(file, tail);
}

const WARNING = /^\S+: warning: /;

/** The last line of QEMU's output that says something, warnings only when nothing else was said. */
export function lastVmLogLine(file: string): string | undefined {
  let text: string;
  try {
    text = readTail(file, 8192).toString('utf8');
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  const lines = text.split('\n').map((l) => l.replace(/[\u0000-\u001f\u007f]/g, '').trim());
  const line = lines.filter((l) => l && !WARNING.test(l)).at(-1) ?? lines.filter(Boolean).at(-1);
  return line && line.length > 240 ? `${line.slice(0, 237)}...` : line;
}
