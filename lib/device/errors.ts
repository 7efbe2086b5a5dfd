// One error base for the device side: every failure carries a stable code that the CLI, the agents'
// structured logs and the tests match on, never on message text.
export type SysdbErrorCode =
  | 'DISCONNECTED'
  | 'RPC_ERROR'
  | 'TRANSACTION_FAILED'
  | 'BAD_REMOTE'
  | 'UNKNOWN_TABLE'
  | 'UNKNOWN_COLUMN'
  | 'BAD_VALUE'
  | 'BAD_STATE_FILE'
  | 'NOT_FOUND'
  | 'USAGE'
  | 'AUDIT_BROKEN'
  | 'COMMAND_FAILED'
  | 'TIMEOUT'
  | 'BAD_REPLY'
  | 'CONFLICT'
  | 'WOULD_DISCONNECT';

export class SysdbError extends Error {
  constructor(
    readonly code: SysdbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SysdbError';
  }
}
