import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { until } from './ovsdb-server.js';

/**
 * A network namespace with its own UTS namespace (so hostname changes stay inside) and a private
 * Open vSwitch: ovsdb-server on a socket in `dir`, ovs-vswitchd inside the netns, userspace datapath.
 */
export class NetnsOvs {
  readonly ns = `stalker-t${process.pid}`;
  readonly uts: string;
  readonly ovsDb: string;
  readonly prefix: string[];
  private procs: ChildProcess[] = [];

  constructor(readonly dir: string) {
    this.uts = path.join(dir, 'uts');
    this.ovsDb = `unix:${path.join(dir, 'ovs.sock')}`;
    this.prefix = ['nsenter', `--net=/run/netns/${this.ns}`, `--uts=${this.uts}`, '--'];
  }

  private env() {
    return { ...process.env, OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir };
  }

  sh(...argv: string[]): string {
    return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', env: this.env() });
  }

  inNs(...argv: string[]): string {
    return this.sh(...this.prefix, ...argv);
  }

  async start(): Promise<void> {
    this.sh('ip', 'netns', 'add', this.ns);
    writeFileSync(this.uts, '');
    this.sh('unshare', `--uts=${this.uts}`, 'hostname', 'before');
    const db = path.join(this.dir, 'conf.db');
    this.sh('ovsdb-tool', 'create', db, '/usr/share/openvswitch/vswitch.ovsschema');
    this.procs.push(
      spawn('ovsdb-server', [db, `--remote=p${this.ovsDb}`, `--unixctl=${path.join(this.dir, 'ovsdb.ctl')}`, '--no-chdir', '--log-file'], {
        stdio: 'ignore',
        env: this.env(),
      }),
    );
    await until('ovs db socket', () => existsSync(this.ovsDb.slice(5)));
    this.sh('ovs-vsctl', `--db=${this.ovsDb}`, '--no-wait', 'init');
    this.procs.push(
      spawn('ip', ['netns', 'exec', this.ns, 'ovs-vswitchd', this.ovsDb, `--unixctl=${path.join(this.dir, 'vswitchd.ctl')}`, '--no-chdir', '--log-file'], {
        stdio: 'ignore',
        env: this.env(),
      }),
    );
    await until('vswitchd', () => existsSync(path.join(this.dir, 'vswitchd.ctl')));
  }

  async dispose(): Promise<void> {
    for (const p of this.procs.reverse()) {
      if (p.exitCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    try {
      execFileSync('ip', ['netns', 'del', this.ns]);
    } catch {
      /* never created */
    }
    try {
      execFileSync('umount', [this.uts]);
    } catch {
      /* never mounted */
    }
  }
}
