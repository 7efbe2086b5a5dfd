import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SysdbError } from '../errors.js';
import type { Remote } from './remote.js';

/**
 * Remote administration over OpenSSH: `ssh -N -L LOCAL.sock:/run/sysdb/sysdb.sock root@host` forwards
 * a private local unix socket to the device's Sysdb socket, so the device never listens on TCP for
 * Sysdb and authentication is ssh's (the rootssh stage's keys). Extra ssh flags (an identity file,
 * a known_hosts file) come from SYSDB_SSH_ARGS, split on whitespace; ~/.ssh/config works as usual.
 */
export interface SshTunnel {
  path: string;
  close(): void;
}

export function sshArgv(remote: Extract<Remote, { kind: 'ssh' }>, local: string, env = process.env): string[] {
  const extra = (env.SYSDB_SSH_ARGS ?? '').split(/\s+/).filter(Boolean);
  const dest = remote.user ? `${remote.user}@${remote.host}` : remote.host;
  return [
    env.SYSDB_SSH ?? 'ssh',
    '-N',
    '-o',
    'BatchMode=yes',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'StreamLocalBindUnlink=yes',
    ...(remote.port ? ['-p', String(remote.port)] : []),
    ...extra,
    '-L',
    `${local}:${remote.socket}`,
    '--',
    dest,
  ];
}

export async function openSshTunnel(remote: Extract<Remote, { kind: 'ssh' }>, timeoutMs: number): Promise<SshTunnel> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sysdb-ssh-'));
  const local = path.join(dir, 'sysdb.sock');
  const [file, ...args] = sshArgv(remote, local);
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  child.on('error', (e) => {
    exited = -1;
    stderr = e.message;
  });
  const close = () => {
    if (exited === undefined) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + timeoutMs;
  while (!existsSync(local)) {
    if (exited !== undefined || Date.now() > end) {
      close();
      const why = exited !== undefined ? (stderr.trim().split('\n').at(-1) ?? `ssh exited ${exited}`) : `no tunnel after ${timeoutMs} ms`;
      throw new SysdbError('DISCONNECTED', `ssh to ${remote.host}: ${why || `ssh exited ${exited}`}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { path: local, close };
}
