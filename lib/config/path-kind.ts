// The loader reads scripts, templates, plugins, mounts and the sysroot that users point it at. Any
// of them may be a directory, a FIFO (opening one for reading blocks forever), a device, a socket,
// a dangling link, a link loop or unreadable. Each such case is said in words here, so the loader
// turns it into a positioned problem instead of hanging or dying with a Node stack.
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, statSync, constants, type Stats } from 'node:fs';

export type PathKind = 'file' | 'directory' | 'other';

/** Thrown by readers below when a path cannot be used; the message is ready for a problem. */
export class PathProblem extends Error {
  constructor(
    readonly path: string,
    message: string,
    /** nothing at all is there (not a dangling link, not unreadable): callers say "not found" */
    readonly notFound = false,
  ) {
    super(message);
  }

  /** `script file not found: /p/x.sh`, or `script: /p/x.sh is a FIFO (named pipe), ...` */
  describe(label: string): string {
    return this.notFound ? `${label} not found: ${this.path}` : `${label}: ${this.message}`;
  }
}

/** What a path is, following symlinks; a PathProblem when it does not resolve or cannot be read. */
export function statPath(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    throw new PathProblem(path, errnoText(path, e), isNotFound(path, e));
  }
}

function isNotFound(path: string, e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT' && danglingLink(path) === undefined;
}

/** "a FIFO (named pipe)", "a character device", ... for anything not a file or a directory. */
export function kindName(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file. Checked before opening (a FIFO would block the open) and again on
 * the descriptor, so a path swapped between the two checks is not read either.
 */
export function readRegularFile(path: string): Buffer {
  const st = statPath(path);
  if (!st.isFile()) throw new PathProblem(path, `${path} is ${kindName(st)}, not a regular file`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new PathProblem(path, errnoText(path, e));
  }
  try {
    if (!fstatSync(fd).isFile()) throw new PathProblem(path, `${path} is not a regular file`);
    return readFileSync(fd);
  } catch (e) {
    if (e instanceof PathProblem) throw e;
    throw new PathProblem(path, errnoText(path, e));
  } finally {
    closeSync(fd);
  }
}

/** An errno error as words about `path` (what the user can fix), not Node's "EACCES: ..." line. */
export function errnoText(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const failed = (e as NodeJS.ErrnoException).path;
  const at = failed && failed !== path ? `${failed} (under ${path})` : path;
  switch (code) {
    case 'ENOENT':
      return danglingLink(path) ?? `${at} not found`;
    case 'EACCES':
    case 'EPERM':
      return `${at}: permission denied`;
    case 'ELOOP':
      return `${at}: too many levels of symbolic links (a symlink loop)`;
    case 'ENOTDIR':
      return `${at}: a path component is not a directory`;
    case 'EISDIR':
      return `${at} is a directory`;
    case 'ENXIO':
      return `${at} is a socket or device without a reader`;
    case 'ENAMETOOLONG':
      return `${at}: name too long`;
    default:
      return `${at}: cannot read (${code ?? (e as Error).message})`;
  }
}

function danglingLink(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    return `${path} is a dangling symbolic link (to ${readlinkSync(path)})`;
  } catch {
    return undefined;
  }
}
