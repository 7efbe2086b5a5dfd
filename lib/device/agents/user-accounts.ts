import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { stringsOf, type Row } from '../ovsdb/datum.js';
import { userName } from '../formats.js';
import type { Step } from './plan.js';

/** The accounts as /etc/passwd, /etc/group and /etc/shadow under the agent's root say they are now. */
export interface Accounts {
  uids: Map<string, number>;
  /** group -> its supplementary members */
  members: Map<string, string[]>;
  /** user -> the shadow password field ("!..." and "*" are locked) */
  shadow: Map<string, string>;
}

/** A step of the user agent: a plan.ts step, or chpasswd with the hash on its stdin (never on argv or in a log). */
export type UserStep = Step | { kind: 'chpasswd'; name: string; hash: string };

/** Sysdb's keys of each user, read by sshd besides ~/.ssh/authorized_keys (AuthorizedKeysFile, stalks/raspi-rootssh). */
export const KEYS_DIR = 'etc/ssh/authorized_keys.d';
/** The first line of every keys file this agent writes: a file with it and no User row is a deleted row's. */
export const KEYS_HEADER = "# Written by the stalker user agent from Sysdb's User row";
const KEYS_MODE = 0o644;

async function fields(file: string): Promise<string[][]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export async function readAccounts(root: string): Promise<Accounts> {
  const [passwd, group, shadow] = await Promise.all(['passwd', 'group', 'shadow'].map((f) => fields(path.join(root, 'etc', f))));
  return {
    uids: new Map(passwd.map((f) => [f[0], Number(f[2])])),
    members: new Map(group.map((f) => [f[0], (f[3] ?? '').split(',').filter(Boolean)])),
    shadow: new Map(shadow.map((f) => [f[0], f[1] ?? ''])),
  };
}

/** What useradd leaves behind: a locked password and no supplementary groups (a dry run plans from this). */
export function withNewAccount(acc: Accounts, name: string): Accounts {
  return { ...acc, uids: new Map(acc.uids).set(name, 1000), shadow: new Map(acc.shadow).set(name, '!') };
}

/**
 * Sysdb manages root and ordinary accounts only. System accounts (uid 1-999, 60000 and up: nobody,
 * Debian's reserved ranges, and any other uid 0) belong to their packages: a row must not give
 * `sshd` or `daemon` a password or keys.
 */
export function systemAccountProblem(name: string, acc: Accounts): string | undefined {
  const uid = acc.uids.get(name);
  if (name === 'root' || uid === undefined || (uid >= 1000 && uid < 60000)) return undefined;
  return `${JSON.stringify(name)} is a system account (uid ${uid}): Sysdb does not manage system accounts`;
}

export const isLocked = (field: string | undefined) => field !== undefined && (field.startsWith('!') || field.startsWith('*'));
const keysPath = (root: string, name: string) => path.join(root, KEYS_DIR, name);

export function keysContent(name: string, keys: string[]): string {
  return `${KEYS_HEADER} ${JSON.stringify(name)}: rewritten on every change.\n# Build-time keys stay in the home's .ssh/authorized_keys.\n${keys.map((k) => `${k}\n`).join('')}`;
}

async function keysStep(root: string, name: string, keys: string[]): Promise<Step[]> {
  const file = keysPath(root, name);
  const content = keysContent(name, keys);
  const now = await readFile(file, 'utf8').catch(() => undefined);
  const mode = await stat(file).then(
    (s) => s.mode & 0o7777,
    () => undefined,
  );
  return now === content && mode === KEYS_MODE ? [] : [{ kind: 'write', path: file, content, mode: KEYS_MODE }];
}

/** Password, sudo membership and keys of an account that exists; nothing when they already match. */
export async function accountSteps(root: string, row: Row, acc: Accounts): Promise<UserStep[]> {
  const name = String(row.name);
  const steps: UserStep[] = [];
  const now = acc.shadow.get(name);
  if (typeof row.password_hash === 'string') {
    if (now !== row.password_hash) steps.push({ kind: 'chpasswd', name, hash: row.password_hash });
  } else if (name !== 'root' && !isLocked(now)) {
    // root without a hash keeps the password the image gave it (console access); others are locked
    steps.push({ kind: 'run', argv: ['usermod', '--lock', '--', name] });
  }
  if (name !== 'root' && typeof row.sudo === 'boolean') {
    const member = acc.members.get('sudo')?.includes(name) ?? false;
    if (row.sudo && !member) steps.push({ kind: 'run', argv: ['usermod', '-aG', 'sudo', '--', name] });
    if (!row.sudo && member) steps.push({ kind: 'run', argv: ['gpasswd', '-d', name, 'sudo'] });
  }
  steps.push(...(await sudoersSteps(root, name, name !== 'root' && row.sudo === true)));
  return [...steps, ...(await keysStep(root, name, stringsOf(row.authorized_keys).sort()))];
}

/**
 * sudo true also lets the user sudo without a password, as Raspberry Pi OS's first user and Imager's
 * cloud-init user (`sudo: ALL=(ALL) NOPASSWD:ALL`) may: a keys-only account has no password to give,
 * and Debian's group rule asks for one. The file is the agent's (sysdb-NAME); sudo false removes it.
 */
export const SUDOERS_DIR = 'etc/sudoers.d';
async function sudoersSteps(root: string, name: string, wanted: boolean): Promise<Step[]> {
  const file = path.join(root, SUDOERS_DIR, `sysdb-${name}`);
  const content = `# Written by the stalker user agent: User ${name} has sudo true in Sysdb.\n${name} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
  const now = await readFile(file, 'utf8').catch(() => undefined);
  if (!wanted) return now === undefined ? [] : [{ kind: 'remove', path: file }];
  return now === content ? [] : [{ kind: 'write', path: file, content, mode: 0o440 }];
}

/**
 * Users whose row is gone: the keys files this agent wrote for names no row has. Their keys file is
 * removed and their password locked; the account and its home stay (deleting them loses data).
 * root's password is not locked (as with a hash of none: it may be the image's console access).
 */
export async function deletedUserSteps(root: string, rows: Row[], acc: Accounts): Promise<{ name: string; steps: UserStep[] }[]> {
  const names = await readdir(path.join(root, KEYS_DIR)).catch(() => [] as string[]);
  const out: { name: string; steps: UserStep[] }[] = [];
  for (const name of names.sort()) {
    if (userName(name) || rows.some((r) => r.name === name)) continue;
    const head = await readFile(keysPath(root, name), 'utf8').catch(() => '');
    if (!head.startsWith(KEYS_HEADER)) continue;
    const steps: UserStep[] = [
      { kind: 'remove', path: keysPath(root, name) },
      { kind: 'remove', path: path.join(root, SUDOERS_DIR, `sysdb-${name}`) },
    ];
    if (name !== 'root' && acc.uids.has(name) && !systemAccountProblem(name, acc) && !isLocked(acc.shadow.get(name)))
      steps.push({ kind: 'run', argv: ['usermod', '--lock', '--', name] });
    out.push({ name, steps });
  }
  return out;
}
