import { chmod, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SysdbError } from '../errors.js';
import type { CommandRunner } from './command-runner.js';

/** What the file- and command-driven agents (net, storage) do to the system, one step at a time. */
export type Step =
  | { kind: 'run'; argv: string[] }
  /** secret: the content is never logged, and the file is written 0600 (mode overrides) */
  | { kind: 'write'; path: string; content: string; mode?: number; secret?: boolean }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'remove'; path: string };

export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'run':
      return s.argv.join(' ');
    case 'write':
      return s.secret ? `write ${s.path} (secret, ${Buffer.byteLength(s.content)} bytes)` : `write ${s.path} (${JSON.stringify(s.content.trim())})`;
    case 'symlink':
      return `ln -sf ${s.target} ${s.path}`;
    case 'mkdir':
      return `mkdir -p ${s.path}`;
    case 'remove':
      return `rm -f ${s.path}`;
  }
}

export async function applyStep(s: Step, runner: CommandRunner): Promise<void> {
  switch (s.kind) {
    case 'run': {
      const r = await runner.run(s.argv);
      if (r.code !== 0) throw new SysdbError('COMMAND_FAILED', `${s.argv.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
      return;
    }
    case 'write': {
      await mkdir(path.dirname(s.path), { recursive: true });
      const mode = s.mode ?? (s.secret ? 0o600 : undefined);
      if (mode === undefined) return writeFile(s.path, s.content);
      // a fresh file with the mode from the start, renamed over the old one: never readable by others
      const tmp = `${s.path}.tmp`;
      await rm(tmp, { force: true });
      await writeFile(tmp, s.content, { mode });
      await chmod(tmp, mode);
      return rename(tmp, s.path);
    }
    case 'symlink':
      await mkdir(path.dirname(s.path), { recursive: true });
      await rm(s.path, { force: true });
      return symlink(s.target, s.path);
    case 'mkdir':
      await mkdir(s.path, { recursive: true });
      return;
    case 'remove':
      await rm(s.path, { force: true });
  }
}

export async function readlinkOr(p: string): Promise<string | undefined> {
  return readlink(p).catch(() => undefined);
}
