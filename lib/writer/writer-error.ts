// Errors of the image writer and of flash: StalkerErrors with codes of their own.
import { StalkerError } from '../errors.js';

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

export class WriterError extends StalkerError {
  declare readonly code: WriterErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: WriterErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.details = opts.details ?? {};
  }
}
