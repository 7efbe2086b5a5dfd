// One error base class with a stable code; everything the CLI prints as a failure is one of these.
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'STEP_FAILED'
  | 'ENGINE'
  | 'BOOTSTRAP_FAILED'
  | 'INTERRUPTED'
  | 'NOT_FOUND'
  | 'USAGE'
  | 'BUSY'
  | 'WRITER'
  | 'EXEC'
  // the image writer's and flash's own
  | 'WRITER_CONFIG'
  | 'WRITER_NOT_ROOT'
  | 'WRITER_EXTRACT'
  | 'WRITER_MOUNT'
  | 'WRITER_MISSING_BOOT'
  | 'WRITER_PARTITION_TOO_SMALL'
  | 'WRITER_TOOL'
  | 'FLASH_REFUSED'
  | 'FLASH_ABORTED'
  | 'FLASH_VERIFY';

export class StalkerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem in a config file; `line`/`col` are 1-based and present when the position is known. */
export interface ConfigProblem {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}${p.col ? `:${p.col}` : ''}` : p.file;
  return `${where}: ${p.message}`;
}

/** All problems found in a tree and its stalks, reported at once. */
export class ConfigError extends StalkerError {
  constructor(readonly problems: ConfigProblem[]) {
    super('CONFIG_INVALID', problems.map(formatProblem).join('\n'));
  }
}

export class StepFailed extends StalkerError {
  constructor(
    readonly node: string,
    readonly step: string,
    readonly exitCode: number,
    readonly logPath: string,
    readonly tail: string[],
    readonly failedImage?: string,
  ) {
    super(
      'STEP_FAILED',
      `step ${node}:${step} failed with exit code ${exitCode} (log: ${logPath})` +
        (failedImage ? `\n  its state is kept as ${failedImage}` : '') +
        (tail.length ? `\n  last lines:\n${tail.map((l) => `    | ${l}`).join('\n')}` : ''),
    );
  }
}

/** An engine call failed; names the call and the object (container or image id) it was about. */
export class EngineError extends StalkerError {
  constructor(
    readonly operation: string,
    readonly target: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ENGINE', `engine: ${operation} ${target}: ${detail}`, { cause });
  }
}

/** A host tool (mmdebstrap, tar, mkfs, dot, ...) could not run or exited non-zero. */
export class ExecError extends StalkerError {
  constructor(
    readonly command: string[],
    readonly exitCode: number | null, // null: it could not start, or a signal ended it
    readonly stderrTail: string[],
    readonly signal?: string,
    options?: { cause?: unknown },
  ) {
    const how =
      exitCode === null
        ? signal
          ? `was killed by ${signal}`
          : `could not run: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`
        : `exited with ${exitCode}`;
    super('EXEC', `${command.join(' ')} ${how}${stderrTail.length ? `:\n${stderrTail.map((l) => `    | ${l}`).join('\n')}` : ''}`, options);
  }
}
