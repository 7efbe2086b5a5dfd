// The rootless, daemonless backend: steps run as root of a user namespace of the invoking user
// (subordinate ids mapped), on an unprivileged overlay over the parent's unpacked layers; images
// in an OCI layout on disk (userns-store.ts). Nothing runs between commands: no daemon, no root.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ContainerClient, Engine, EngineDescription, EngineInfo } from '../engine-port.js';
import { EngineError } from '../../errors.js';
import { hostMachine, hostPlatforms } from '../host-platforms.js';
import { type IdMap, idMap } from './id-map.js';
import { UsernsContainers } from './userns-containers.js';
import { UsernsStore } from './userns-store.js';
import { nsSpawn } from './user-namespace.js';

export class UsernsEngine implements Engine {
  readonly kind = 'userns';
  // Its own executor: a userns build and a Docker build of one step are not assumed identical.
  readonly executor = 'userns';
  readonly seesHostPaths = true; // same machine, same user: bind mounts
  readonly store: UsernsStore;
  readonly containers: ContainerClient;
  readonly ids: IdMap;
  private ready?: Promise<void>;

  constructor(dir: string, ids: IdMap = idMap()) {
    this.ids = ids;
    this.store = new UsernsStore(dir, ids);
    this.containers = lazy(new UsernsContainers(this.store, ids), () => this.open());
  }

  get ociLayout(): string {
    return this.store.layout.dir;
  }

  get images() {
    return lazy(this.store.images, () => this.open());
  }

  /** The warning to show when only one id is mapped (no subordinate range). */
  get warning(): string | undefined {
    return this.ids.kind === 'single'
      ? `userns: ${this.ids.why}: only root is mapped, so a step that chowns to another user (apt's _apt, a service user) fails; add a range with usermod --add-subuids/--add-subgids`
      : undefined;
  }

  private open(): Promise<void> {
    this.ready ??= this.store.init();
    return this.ready;
  }

  async ping(): Promise<string> {
    await this.open();
    try {
      accessSync(this.store.dir, constants.W_OK);
    } catch (err) {
      throw new EngineError('open store', this.store.dir, err);
    }
    const r = spawnSync('unshare', ['--version'], { encoding: 'utf8' });
    if (r.status !== 0) throw new EngineError('find', 'unshare (util-linux)', r.error ?? r.stderr);
    if (this.ids.kind === 'range' && spawnSync('sh', ['-c', 'command -v newuidmap && command -v newgidmap']).status !== 0) {
      throw new EngineError('find', 'newuidmap/newgidmap', 'not installed (Debian package uidmap)');
    }
    return `${r.stdout.trim()}; ${this.ids.kind === 'range' ? `${this.ids.users.count} subordinate ids` : 'single id'}`;
  }

  async info(): Promise<EngineInfo> {
    return { version: await this.ping(), rootDir: this.store.dir, storageDriver: 'overlay (unprivileged, userxattr)', architecture: hostMachine() };
  }

  async asRoot(cmd: string[], input: Readable, read: (stdout: Readable) => Promise<void>): Promise<number> {
    const p = nsSpawn('exec "$@"', this.ids, { args: cmd, env: process.env });
    p.stderr?.pipe(process.stderr, { end: false });
    input.on('error', () => p.child.kill('SIGKILL'));
    input.pipe(p.stdin!);
    const [code] = await Promise.all([p.done, read(p.stdout!)]);
    return code;
  }

  async describe(): Promise<EngineDescription> {
    return { kind: this.kind, executor: this.executor, ...hostPlatforms(), seesHostPaths: true };
  }
}

/** The same object, its methods first making sure the store exists (engines open lazily). */
function lazy<T extends object>(target: T, open: () => Promise<void>): T {
  return new Proxy(target, {
    get(t, p, r) {
      const v = Reflect.get(t, p, r) as unknown;
      return typeof v === 'function'
        ? async (...a: unknown[]) => {
            await open();
            return (v as (...x: unknown[]) => unknown).apply(t, a);
          }
        : v;
    },
  });
}
