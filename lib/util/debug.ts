// Debug lines for engine calls, on stderr when STALKER_DEBUG is set; silent otherwise.
const enabled = !!process.env.STALKER_DEBUG;

export function debug(scope: string, message: string): void {
  if (enabled) process.stderr.write(`[debug ${scope}] ${message}\n`);
}
