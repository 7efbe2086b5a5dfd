// Runs a shell script as root of a fresh user namespace (with its own mount and pid namespaces)
// without privileges or a daemon. The handshake: `unshare --user` starts a shell that announces
// itself on fd 3 and waits; we write its id maps from outside (newuidmap/newgidmap, setuid
// helpers from the uidmap package, for a subordinate range; /proc directly for a single id);
// then it execs, now uid 0 inside with full capabilities there, into the mount+pid+uts namespaces
// (the host name of every step is STEP_HOSTNAME, as on Docker).
// (util-linux 2.38's `unshare --map-users` takes one range only, not root plus a range.)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { EngineError } from '../../errors.js';
import { STEP_HOSTNAME } from '../engine-port.js';
import { debug } from '../../util/debug.js';
import { type IdMap, mapArgs } from './id-map.js';

const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const STAGE1 = `echo ready >&3; read -r go <&3; exec 3>&-; [ "$go" = go ] || exit 125; exec unshare --mount --uts --pid --fork --kill-child --propagation private /bin/sh -c "hostname ${STEP_HOSTNAME} || exit 125; $0" stalker-ns "$@"`;

export interface NsProcess {
  child: ChildProcess;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Exit code of the script (128 + signal when killed). */
  done: Promise<number>;
}

export interface NsOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv; // the whole environment of the script (not merged with ours)
  stdio?: 'pipe' | 'inherit';
}

function writeMaps(pid: number, m: IdMap): void {
  if (m.kind === 'range') {
    for (const [tool, which] of [
      ['newuidmap', 'uid'],
      ['newgidmap', 'gid'],
    ] as const) {
      const r = spawnSync(tool, [String(pid), ...mapArgs(m, which)], { encoding: 'utf8' });
      if (r.status !== 0) throw new EngineError(tool, String(pid), `${(r.stderr || r.error?.message || '').trim()} (is the uidmap package installed?)`);
    }
    return;
  }
  // One id: allowed to the namespace's owner without helpers, once setgroups is denied.
  writeFileSync(`/proc/${pid}/setgroups`, 'deny');
  writeFileSync(`/proc/${pid}/uid_map`, `0 ${m.uid} 1`);
  writeFileSync(`/proc/${pid}/gid_map`, `0 ${m.gid} 1`);
}

export function nsSpawn(script: string, ids: IdMap, opts: NsOptions = {}): NsProcess {
  debug('userns', script.split('\n')[0]);
  const io = opts.stdio ?? 'pipe';
  const child = spawn('unshare', ['--user', '--', '/bin/sh', '-c', STAGE1, script, ...(opts.args ?? [])], {
    env: { PATH: SBIN_PATH, ...opts.env },
    stdio: [io, io, io, 'pipe'],
    detached: true, // its own process group: remove() kills the whole step
  });
  const control = child.stdio[3] as unknown as NodeJS.ReadWriteStream;
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new EngineError('start', 'unshare --user', err)));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? osSignal(signal) : 0)));
  });
  control.once('data', () => {
    try {
      writeMaps(child.pid!, ids);
      control.write('go\n');
    } catch (err) {
      control.write('no\n');
      child.emit('error', err as Error);
    }
  });
  control.on('error', () => {});
  child.stdin?.on('error', () => {}); // a script that exits without reading its input: its exit code says why
  return { child, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, done };
}

function osSignal(name: NodeJS.Signals): number {
  return ({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 } as Record<string, number>)[name] ?? 0;
}

/** Runs a script to completion; stdout kept (or handed to `onStdout`), non-zero exit an EngineError. */
export async function nsRun(
  what: string,
  script: string,
  ids: IdMap,
  opts: NsOptions & { input?: Readable; okCodes?: number[] } = {},
): Promise<{ code: number; stdout: Buffer }> {
  const p = nsSpawn(script, ids, opts);
  const out: Buffer[] = [];
  let err = '';
  p.stdout?.on('data', (c: Buffer) => out.push(c));
  p.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  if (opts.input) opts.input.pipe(p.stdin!);
  else p.stdin?.end();
  const code = await p.done;
  if (code !== 0 && !(opts.okCodes ?? []).includes(code))
    throw new EngineError(what, `(user namespace, exit ${code})`, err.trim().split('\n').slice(-6).join('\n'));
  return { code, stdout: Buffer.concat(out) };
}
