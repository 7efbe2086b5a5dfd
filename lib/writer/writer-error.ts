// Errors of the image writer and of flash: StalkerErrors with codes of their own.
import { type ErrorCode, StalkerError } from '../errors.js';

/** The writer's and flash's codes, all declared in the project's one ErrorCode union. */
export type WriterErrorCode = Extract<ErrorCode, `WRITER_${string}` | `FLASH_${string}`>;

export class WriterError extends StalkerError {
  declare readonly code: WriterErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: WriterErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.details = opts.details ?? {};
  }
}
