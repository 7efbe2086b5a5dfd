// Reaching a booted test image over ssh: the boot tests' own key, kept in out/. It never goes into
// a built image: a test hands its public half to one boot only, as the systemd credential
// ssh.authorized_keys.root on the kernel command line (systemd-tmpfiles' provision.conf writes
// root's authorized_keys from it), or through a provisioning file it puts on that boot's card, so
// images built from this checkout authorize exactly the keys in stalks/raspi-rootssh/keys/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, run } from './raspi-image.js';

export const SSH_KEY = join(ROOT, 'out/e2e-ssh/id_ed25519');
export const SSH_ARGS = `-i ${SSH_KEY} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20`;

/** The test key's public line (made on first use). */
export function e2ePublicKey(): string {
  mkdirSync(dirname(SSH_KEY), { recursive: true });
  if (!existsSync(SSH_KEY)) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stalker-e2e-boot-test', '-f', SSH_KEY]);
  return readFileSync(`${SSH_KEY}.pub`, 'utf8').trim();
}

/** The kernel argument that authorizes the test's key for root, for this boot only. */
export function e2eSshCredential(): string {
  return `systemd.set_credential_binary=ssh.authorized_keys.root:${Buffer.from(`${e2ePublicKey()}\n`).toString('base64')}`;
}

/** bin/sysdb over ssh (the device runs its own CLI) with standard input, --timeout (s), kill time (ms), environment. */
export function sysdbWith(
  sshPort: number,
  o: { input?: string; seconds?: number; killMs?: number; env?: NodeJS.ProcessEnv; user?: string },
  ...args: string[]
) {
  const url = `ssh://${o.user ?? 'root'}@127.0.0.1:${sshPort}`;
  return spawnSync(join(ROOT, 'bin/sysdb'), ['--remote', url, '--timeout', String(o.seconds ?? 30), ...args], {
    encoding: 'utf8',
    input: o.input,
    timeout: o.killMs ?? 60_000,
    env: { ...process.env, SYSDB_SSH_ARGS: SSH_ARGS, ...o.env },
  });
}

export const sysdb = (sshPort: number, ...args: string[]) => sysdbWith(sshPort, {}, ...args);

/** A command in the guest over ssh with the test's key (as root unless told); its stdout. */
export function guest(sshPort: number, command: string, timeout = 60_000, user = 'root'): string {
  const r = spawnSync('ssh', [...SSH_ARGS.split(' '), '-p', String(sshPort), `${user}@127.0.0.1`, command], { encoding: 'utf8', timeout });
  if (r.status !== 0) throw new Error(`ssh ${user}@ ${command} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Polls until fn returns a truthy value or the deadline passes; the last value (or error) in the failure. */
export async function eventually<T>(what: string, fn: () => T, ms = 60_000, everyMs = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      last = fn();
      if (last) return last as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms / 1000} s waiting for ${what}; last: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
