// Stand-in for the project's StalkerError base (lib/errors.ts, owned by the engine core) until it
// lands: same shape (stable code, message, cause) so reconciling is a one-line change of `extends`.
export type WriterErrorCode =
  | 'WRITER_CONFIG'
  | 'WRITER_NOT_ROOT'
  | 'WRITER_EXTRACT'
  | 'WRITER_MISSING_BOOT'
  | 'WRITER_PARTITION_TOO_SMALL'
  | 'WRITER_TOOL'
  | 'FLASH_REFUSED'
  | 'FLASH_ABORTED'
  | 'FLASH_VERIFY';

export class WriterError extends Error {
  readonly code: WriterErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: WriterErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WriterError';
    this.code = code;
    this.details = opts.details ?? {};
  }
}
