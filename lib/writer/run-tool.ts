import { spawn } from 'node:child_process';
import { WriterError } from './writer-error.js';

export interface ToolRun {
  stdout: string;
  stderr: string;
}

/**
 * Runs a host tool to completion. Output is kept only as text tails so a chatty tool (mcopy -v,
 * tar) can never grow the writer's memory; the tail goes into the error when the tool fails.
 */
export function runTool(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; keep?: number } = {},
): Promise<ToolRun> {
  const keep = opts.keep ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, LC_ALL: 'C', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout = (stdout + d).slice(-keep); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-keep); });
    child.on('error', (err) => reject(new WriterError('WRITER_TOOL', `cannot run ${cmd}: ${err.message}`, { cause: err, details: { cmd, args } })));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const tail = stderr.trim().split('\n').slice(-8).join('\n');
      reject(new WriterError('WRITER_TOOL', `${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`, { details: { cmd, args, code, signal, stderr: tail } }));
    });
    child.stdin.on('error', () => undefined); // a tool that exits early closes its stdin; its exit code says why
    child.stdin.end(opts.input ?? '');
  });
}
