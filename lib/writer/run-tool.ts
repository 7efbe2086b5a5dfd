import { ExecError } from '../errors.js';
import { exec } from '../util/exec.js';
import { WriterError } from './writer-error.js';

export interface ToolRun {
  stdout: string;
  stderr: string;
}

/**
 * Runs a host tool to completion through the exec layer (output kept only as bounded tails, so a
 * chatty tool such as mcopy -v or tar never grows the writer's memory), and says a failure in the
 * writer's own terms: WRITER_TOOL, with the tail of stderr.
 */
export async function runTool(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; keep?: number; cwd?: string } = {},
): Promise<ToolRun> {
  try {
    return await exec(cmd, args, { env: opts.env, input: opts.input ?? '', keep: opts.keep, cwd: opts.cwd });
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    if (err.exitCode === null && !err.signal) {
      const why = (err.cause as Error | undefined)?.message ?? err.message;
      throw new WriterError('WRITER_TOOL', `cannot run ${cmd}: ${why}`, { cause: err, details: { cmd, args } });
    }
    const tail = err.stderrTail.join('\n');
    const how = err.signal ?? `exit ${err.exitCode}`;
    throw new WriterError('WRITER_TOOL', `${cmd} ${args.join(' ')} failed (${how}):\n${tail}`, {
      cause: err,
      details: { cmd, args, code: err.exitCode, signal: err.signal ?? null, stderr: tail },
    });
  }
}
