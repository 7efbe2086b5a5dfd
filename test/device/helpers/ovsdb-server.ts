import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SCHEMA = path.resolve('lib/device/sysdb.ovsschema');

/** A private ovsdb-server on a unix socket in a temp dir; started in the foreground so we own its pid. */
export class OvsdbServer {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sysdb-test-'));
  readonly db = path.join(this.dir, 'sysdb.db');
  readonly sock = path.join(this.dir, 'sysdb.sock');
  readonly remote = `unix:${this.sock}`;
  private proc: ChildProcess | undefined;

  constructor(schema = SCHEMA) {
    execFileSync('ovsdb-tool', ['create', this.db, schema]);
  }

  async start(): Promise<void> {
    rmSync(this.sock, { force: true });
    this.proc = spawn(
      'ovsdb-server',
      [this.db, `--remote=punix:${this.sock}`, `--unixctl=${path.join(this.dir, 'ctl')}`, '--no-chdir', `--log-file=${path.join(this.dir, 'ovsdb.log')}`],
      { stdio: 'ignore' },
    );
    // The socket file appears at bind(), before listen(): wait until a connection is accepted.
    await until(
      'ovsdb-server accepting on its socket',
      () =>
        existsSync(this.sock) &&
        new Promise<boolean>((resolve) => {
          const c = net.createConnection(this.sock, () => {
            c.destroy();
            resolve(true);
          });
          c.on('error', () => resolve(false));
        }),
      5000,
    );
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  /** Raw ovsdb-client transact, bypassing our client: how tests tamper with or inspect the DB. */
  transact(ops: unknown[]): unknown {
    return JSON.parse(execFileSync('ovsdb-client', ['transact', this.remote, JSON.stringify(['Sysdb', ...ops])], { encoding: 'utf8' }));
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
