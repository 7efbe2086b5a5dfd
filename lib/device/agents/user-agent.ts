import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Row } from '../ovsdb/datum.js';
import { rowProblems } from '../formats.js';
import type { Agent, AgentContext } from './agent-runtime.js';
import type { CommandRunner } from './command-runner.js';
import { applyStep, describeStep, type Step } from './plan.js';
import { accountSteps, deletedUserSteps, readAccounts, systemAccountProblem, withNewAccount, type Accounts, type UserStep } from './user-accounts.js';

export interface UserAgentOptions {
  runner: CommandRunner;
  /** /etc/passwd, group and shadow are read, and the keys files and sshd drop-in written, under this root ("/" on the device). */
  root: string;
  /** Makes sshd reread its configuration (systemctl reload ssh.service); none without systemd. */
  reload?: string[];
  intervalMs?: number;
}

/**
 * System.ssh_password_auth's drop-in. sshd keeps the first value it reads and reads sshd_config.d in
 * name order, so this one sorts before the image's own stalker.conf (stalks/raspi-rootssh).
 */
export const SSHD_DROPIN = 'etc/ssh/sshd_config.d/10-sysdb.conf';

const describe = (s: UserStep) => (s.kind === 'chpasswd' ? `chpasswd -e (the password hash of ${s.name} on stdin)` : describeStep(s));

async function apply(s: UserStep, runner: CommandRunner): Promise<void> {
  if (s.kind !== 'chpasswd') return applyStep(s, runner);
  const r = await runner.run(['chpasswd', '-e'], { stdin: `${s.name}:${s.hash}\n` });
  // chpasswd may quote its input line back: the hash is cut out of whatever it says
  const why = (r.stderr.trim().split('\n').at(-1) ?? '').split(s.hash).join('(secret)');
  if (r.code !== 0) throw new Error(`chpasswd -e for ${s.name} exited ${r.code}: ${why}`);
}

export function userAgent(o: UserAgentOptions): Agent {
  /** Runs the steps in order, stopping at the first failure; its message (for the status), or undefined. */
  async function run(ctx: AgentContext, steps: UserStep[]): Promise<string | undefined> {
    for (const s of steps) {
      let failure = `${describe(s)} failed`;
      const ok = await ctx.step(describe(s), () =>
        apply(s, o.runner).catch((e: Error) => {
          failure = e.message;
          throw e;
        }),
      );
      if (!ok) return failure;
    }
    return undefined;
  }

  async function reconcileUser(ctx: AgentContext, row: Row, acc: Accounts): Promise<void> {
    const name = String(row.name);
    const problem = rowProblems('User', row).join('; ') || systemAccountProblem(name, acc);
    ctx.reject('User', name, problem);
    if (problem) return ctx.observe('User', row, { status: `error: ${problem}` });
    if (!acc.uids.has(name)) {
      const failure = await run(ctx, [{ kind: 'run', argv: ['useradd', '--create-home', '--shell', '/bin/bash', '--user-group', '--', name] }]);
      if (failure) return ctx.observe('User', row, { status: `error: ${failure}` });
      // what useradd really made (its defaults are configurable), except in a dry run, which changed nothing
      acc = ctx.dryRun ? withNewAccount(acc, name) : await readAccounts(o.root);
    }
    const failure = await run(ctx, await accountSteps(o.root, row, acc));
    await ctx.observe('User', row, { status: failure ? `error: ${failure}` : 'ok' });
  }

  /** The System row's sshd drop-in; its failures are logged (System.status is the net agent's). */
  async function passwordAuth(ctx: AgentContext, sys: Row | undefined): Promise<void> {
    const file = path.join(o.root, SSHD_DROPIN);
    const auth = sys?.ssh_password_auth;
    const content =
      typeof auth === 'boolean'
        ? `# Written by the stalker user agent from System.ssh_password_auth (sshd keeps the first value it reads).\nPasswordAuthentication ${auth ? 'yes' : 'no'}\n`
        : undefined;
    if ((await readFile(file, 'utf8').catch(() => undefined)) === content) return;
    const steps: Step[] = [content === undefined ? { kind: 'remove', path: file } : { kind: 'write', path: file, content, mode: 0o644 }];
    if (o.reload) steps.push({ kind: 'run', argv: o.reload });
    await run(ctx, steps);
  }

  return {
    name: 'user',
    tables: { User: {}, System: { columns: ['log_level', 'ssh_password_auth'] } },
    intervalMs: o.intervalMs ?? 30_000,
    async reconcile(ctx) {
      const rows = ctx.rows('User');
      const acc = await readAccounts(o.root);
      for (const gone of await deletedUserSteps(o.root, rows, acc)) {
        ctx.log.log('info', "user row deleted: its keys file goes and its password is locked (root's is kept); the account and home stay", { user: gone.name });
        await run(ctx, gone.steps);
      }
      for (const row of rows) await reconcileUser(ctx, row, acc);
      await passwordAuth(ctx, ctx.rows('System')[0]);
    },
  };
}
