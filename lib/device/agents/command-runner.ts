import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}
export interface RunOptions {
  /** Written to the command's stdin, which is then closed: how a secret (chpasswd's hash) stays off argv. */
  stdin?: string;
}
export interface CommandRunner {
  run(argv: string[], opts?: RunOptions): Promise<CommandResult>;
}

/**
 * Runs commands for real. A prefix such as ['nsenter', '--net=/run/netns/x', '--'] moves every command
 * into other namespaces, which is how tests aim a whole agent at a private network namespace.
 */
export function execRunner(prefix: string[] = []): CommandRunner {
  return {
    run: (argv, opts) =>
      new Promise((resolve) => {
        const [file, ...args] = [...prefix, ...argv];
        const child = execFile(file, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
          resolve({ code, stdout, stderr: stderr || (err && code === 127 ? err.message : '') });
        });
        if (opts?.stdin !== undefined) {
          // a command that exits before reading (not found) closes the pipe: that is its exit code's to report
          child.stdin?.on('error', () => undefined);
          child.stdin?.end(opts.stdin);
        }
      }),
  };
}
