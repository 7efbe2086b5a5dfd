// The sysdb CLI run in this process against a server, its output lines collected: what the CLI
// tests assert on (the bundled program is run by runBundle where the process boundary matters).
import { runSysdb } from '../../../lib/device/cli/sysdb-main.js';

export interface SysdbResult {
  code: number;
  out: string;
  err: string;
}

export async function sysdbOn(remote: string, args: string[], stdin?: string): Promise<SysdbResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), ...(stdin === undefined ? {} : { stdin: async () => stdin }) };
  const code = await runSysdb(['--remote', remote, ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
