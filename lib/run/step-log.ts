// A step's log file: written once at the per-run path and hard-linked at the stable path, so
// `stalker logs` reads the same bytes during and after the run. Keeps the last lines for errors.
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const TAIL = 20;

export class StepLog {
  private readonly tailLines: string[] = [];
  private partial = '';

  private constructor(
    readonly path: string,
    private readonly out: WriteStream,
  ) {}

  static async open(runPath: string, stablePath: string): Promise<StepLog> {
    await mkdir(dirname(runPath), { recursive: true });
    await mkdir(dirname(stablePath), { recursive: true });
    const out = createWriteStream(runPath);
    await new Promise((resolve, reject) => out.once('open', resolve).once('error', reject));
    // Two runs of one checkout on two engines may log the same step at once: the last one wins the stable path.
    for (let attempt = 0; ; attempt++) {
      await rm(stablePath, { force: true });
      try {
        await link(runPath, stablePath);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === 2) throw err;
      }
    }
    return new StepLog(stablePath, out);
  }

  /** Writes raw bytes; returns the complete lines they finished, for progress events. */
  write(chunk: Buffer): string[] {
    this.out.write(chunk);
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.keep(line);
    return lines;
  }

  note(line: string): void {
    this.out.write(`${line}\n`);
    this.keep(line);
  }

  tail(): string[] {
    return this.partial ? [...this.tailLines, this.partial].slice(-TAIL) : [...this.tailLines];
  }

  async close(): Promise<void> {
    if (this.out.writableEnded) return;
    await new Promise<void>((resolve) => this.out.end(resolve));
  }

  private keep(line: string): void {
    this.tailLines.push(line.replace(/\r/g, ''));
    if (this.tailLines.length > TAIL) this.tailLines.shift();
  }
}
