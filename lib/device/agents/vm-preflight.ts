import { closeSync, openSync, statSync } from 'node:fs';
import type { Row } from '../ovsdb/datum.js';

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
};

function fileProblem(column: 'kernel' | 'disk', file: string): string | undefined {
  const because = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return `${column} ${file}: ${WHY[code] ?? (code || (e as Error).message)}`;
  };
  try {
    const st = statSync(file);
    if (st.isDirectory()) return `${column} ${file}: is a directory`;
    if (!st.isFile() && !(column === 'disk' && st.isBlockDevice())) return `${column} ${file}: not a file${column === 'disk' ? ' or block device' : ''}`;
    // Opening is the only honest readability check for root (access(2) says yes to almost anything).
    closeSync(openSync(file, 'r'));
  } catch (e) {
    return because(e);
  }
  return undefined;
}

/**
 * Why QEMU could not start from this row's files, checked before each launch: a missing disk is an
 * error to report and recheck, not a crash to retry. (A disk may be a block device, a LUN from Storage.)
 */
export function vmFileProblems(vm: Row): string[] {
  return (['kernel', 'disk'] as const).flatMap((c) => (typeof vm[c] === 'string' ? (fileProblem(c, vm[c] as string) ?? []) : []));
}
