import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { until } from './ovsdb-server.js';

/** The image's sshd drop-in, rendered with the stalk's default vars: the test serves the real config. */
export const SSHD_TEMPLATE = path.resolve('stalks/raspi-rootssh/sshd-stalker.conf.tmpl');

export function renderSshdTemplate(): string {
  const text = readFileSync(SSHD_TEMPLATE, 'utf8').replace('{{ ssh_root_login }}', 'prohibit-password').replace('{{ ssh_password_auth }}', 'no');
  if (text.includes('{{')) throw new Error(`${SSHD_TEMPLATE} has a var this helper does not render`);
  return text;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function keygen(file: string, comment: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/**
 * A real OpenSSH server on 127.0.0.1 in a temp dir (host key, authorized_keys, pid file), started in
 * the foreground so we own its pid. Logs in as the test's user (root here) with a key whose
 * authorized_keys line has a comment; another key is not authorized.
 */
export class Sshd {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sysdb-sshd-'));
  readonly key = path.join(this.dir, 'id_alice');
  readonly strangerKey = path.join(this.dir, 'id_stranger');
  readonly authorizedKeys = path.join(this.dir, 'authorized_keys');
  readonly knownHosts = path.join(this.dir, 'known_hosts');
  readonly config = path.join(this.dir, 'sshd_config');
  readonly comment = 'alice@laptop (test key)';
  port = 0;
  log = '';
  private proc: ChildProcess | undefined;
  private readonly hostKey = path.join(this.dir, 'host_ed25519');

  constructor() {
    keygen(this.hostKey, '');
    writeFileSync(this.authorizedKeys, `# the test's client key\n${keygen(this.key, this.comment)}\n`, { mode: 0o600 });
    keygen(this.strangerKey, 'stranger@elsewhere');
    // sshd (9.2) refuses to start without its privilege separation directory.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }

  /** SHA256:... of the authorized key, as ssh-keygen prints it. */
  fingerprint(): string {
    return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${this.key}.pub`], { encoding: 'utf8' }).split(' ')[1];
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const lines = [
      'ListenAddress 127.0.0.1',
      `HostKey ${this.hostKey}`,
      `PidFile ${path.join(this.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${this.authorizedKeys}`,
      // the temp dir sits in world-writable /tmp; the device's keys live in ~/.ssh
      'StrictModes no',
      'UsePAM no',
      // who.ts looks the key's comment up here (on the device: ~/.ssh/authorized_keys)
      `SetEnv SYSDB_AUTHORIZED_KEYS=${this.authorizedKeys}`,
      renderSshdTemplate(),
    ];
    writeFileSync(this.config, `${lines.join('\n')}\n`);
    execFileSync('/usr/sbin/sshd', ['-t', '-f', this.config]);
    const host = readFileSync(`${this.hostKey}.pub`, 'utf8').trim();
    writeFileSync(this.knownHosts, `[127.0.0.1]:${this.port} ${host}\n`);
    this.proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', this.config, '-p', String(this.port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.log = (this.log + d).slice(-200_000);
    });
    await until('sshd listening', () => this.log.includes(`Server listening on 127.0.0.1 port ${this.port}`), 5000);
  }

  /** SYSDB_SSH_ARGS for a key: only that key, the temp known_hosts checked strictly, no agent. */
  sshArgs(key = this.key): string {
    return `-i ${key} -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=${this.knownHosts} -o StrictHostKeyChecking=yes`;
  }

  url(socket = ''): string {
    return `ssh://root@127.0.0.1:${this.port}${socket}`;
  }

  /** Asks every ssh master with a socket in DIR to exit (by its control path). */
  static exitMasters(dir: string): void {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      try {
        execFileSync('ssh', ['-o', `ControlPath=${path.join(dir, name)}`, '-O', 'exit', 'unused'], { stdio: 'ignore' });
      } catch {
        // not a live master
      }
    }
  }

  async dispose(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Pids of the processes whose command line mentions TEXT (an ssh master shows its control path). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) pids.push(Number(pid));
    } catch {
      // gone
    }
  }
  return pids;
}
