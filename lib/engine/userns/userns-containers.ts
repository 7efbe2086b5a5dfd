// Containers of the userns backend: a directory per container (upper, work, merged, metadata)
// under the store; each operation is one short-lived user namespace that mounts the overlay.
// A commit streams the upper dir out as an OCI layer, then keeps the upper dir itself as that
// layer's unpacked copy (it is already in overlay's own whiteout format): no unpacking again.
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachedIo, CommitOptions, ContainerClient, ContainerSpec, ContainerSummary, Labels, OutputStream } from '../engine-port.js';
import { EngineError } from '../../errors.js';
import { MEDIA } from '../oci-store/oci-layout.js';
import { DEFAULT_ENV, newId } from '../oci-store/oci-images.js';
import type { IdMap } from './id-map.js';
import { execIn, mountInputs, mountRoot, q, TAR_OUT, tarUpper } from './ns-scripts.js';
import { upperToLayer } from './overlay-whiteouts.js';
import type { UsernsStore } from './userns-store.js';
import { nsRun, nsSpawn } from './user-namespace.js';
import { killGroup } from '../../util/kill-tree.js';
import { own } from '../../util/owned-processes.js';

interface Meta {
  id: string;
  spec: ContainerSpec;
  image: string;
  lowers: string[];
  created: number;
  state: string;
  pending: { tar: string; path: string }[];
}

const matches = (have: Labels, want: Labels) => Object.entries(want).every(([k, v]) => (v === '' ? k in have : have[k] === v));

export class UsernsContainers implements ContainerClient {
  private readonly running = new Map<string, number>(); // container -> process group
  /** Removed (an interrupt): a run that was still on its way must not start after all. */
  private readonly removed = new Set<string>();

  constructor(
    private readonly store: UsernsStore,
    private readonly ids: IdMap,
  ) {}

  private dir(id: string) {
    return join(this.store.containersDir, id);
  }

  private async meta(id: string): Promise<Meta> {
    try {
      return JSON.parse(await readFile(join(this.dir(id), 'meta.json'), 'utf8')) as Meta;
    } catch (err) {
      throw new EngineError('find container', id, err);
    }
  }

  private async save(m: Meta): Promise<void> {
    await writeFile(join(this.dir(m.id), 'meta.json'), JSON.stringify(m));
  }

  async create(spec: ContainerSpec): Promise<string> {
    const image = await this.store.images.find(spec.image);
    if (!image) throw new EngineError('create container', spec.image, 'no such image in the store');
    const lowers = await this.store.unpacked(image.layers.map((l) => l.digest));
    const id = `c${newId().slice(0, 16)}`;
    const d = this.dir(id);
    for (const sub of ['upper', 'work', 'merged', 'in', 'vol']) await mkdir(join(d, sub), { recursive: true });
    await this.save({ id, spec, image: image.id, lowers: lowers.reverse(), created: Date.now() / 1000, state: 'created', pending: [] });
    return id;
  }

  async putArchive(id: string, tar: Buffer | Readable, path: string): Promise<void> {
    // Kept until the container runs: its root is only mounted then (one namespace, not one per archive).
    const m = await this.meta(id);
    const file = join(this.dir(id), 'in', `${m.pending.length}.tar`);
    await pipeline(Buffer.isBuffer(tar) ? Readable.from([tar]) : tar, createWriteStream(file));
    m.pending.push({ tar: file, path });
    await this.save(m);
  }

  private async mounted(m: Meta): Promise<string> {
    return mountRoot({ dir: this.dir(m.id), layersDir: this.store.layersDir, lowers: m.lowers });
  }

  async getArchive(id: string, path: string): Promise<Readable | undefined> {
    const m = await this.meta(id);
    const slash = path.lastIndexOf('/');
    const parent = path.slice(0, slash) || '/';
    const script = `${await this.mounted(m)}[ -e "$M"${q(path)} ] || [ -L "$M"${q(path)} ] || exit 44\nexec tar -C "$M"${q(parent)} ${TAR_OUT} -cf - ${q(path.slice(slash + 1))}\n`;
    const r = await nsRun(`get archive ${path} from container ${id}`, script, this.ids, { okCodes: [44] });
    return r.code === 44 ? undefined : Readable.from([r.stdout]);
  }

  private async env(m: Meta): Promise<string[]> {
    const image = await this.store.images.inspect(m.image);
    const env = new Map<string, string>();
    for (const e of [...(image?.env.length ? image.env : DEFAULT_ENV), 'HOME=/root', ...(m.spec.env ?? [])]) {
      const i = e.indexOf('=');
      env.set(e.slice(0, i), e.slice(i + 1));
    }
    return [...env].map(([k, v]) => `${k}=${v}`);
  }

  private async script(m: Meta): Promise<string> {
    const d = this.dir(m.id);
    const volumes = [];
    let n = 0;
    for (const v of m.spec.volumes ?? []) {
      const source = v.name ? join(this.store.volumesDir, v.name) : join(d, 'vol', String(n++));
      await mkdir(source, { recursive: true });
      volumes.push({ source, target: v.target, readOnly: false });
    }
    return (await this.mounted(m)) + mountInputs([...m.spec.binds, ...volumes], m.pending) + execIn(await this.env(m), m.spec.cmd, m.spec.workingDir);
  }

  // Not after a remove (an interrupt while the run was on its way). Killing the process group
  // kills the namespace's init, and with it all of the step's pid namespace, setsid or not.
  private start(id: string, script: string, opts?: Parameters<typeof nsSpawn>[2]): { p: ReturnType<typeof nsSpawn>; done: () => void } {
    if (this.removed.has(id)) throw new EngineError('run container', id, 'it was removed (interrupted)');
    const p = nsSpawn(script, this.ids, opts);
    const pid = p.child.pid!;
    this.running.set(id, pid);
    const disown = own(pid, () => killGroup(pid));
    return {
      p,
      done: () => {
        disown();
        this.running.delete(id);
      },
    };
  }

  async run(id: string, onOutput: (stream: OutputStream, chunk: Buffer) => void): Promise<number> {
    const m = await this.meta(id);
    const { p, done } = this.start(id, await this.script(m));
    p.stdin?.end();
    p.stdout?.on('data', (c: Buffer) => onOutput('stdout', c));
    p.stderr?.on('data', (c: Buffer) => onOutput('stderr', c));
    try {
      m.state = 'running';
      await this.save(m);
      return await p.done;
    } finally {
      done();
      m.state = 'exited';
      m.pending = [];
      await this.save(m).catch(() => {}); // removed while running: nothing left to record
    }
  }

  async runAttached(id: string, io: AttachedIo): Promise<number> {
    const m = await this.meta(id);
    // Our own terminal: handed over as it is, so the shell gets a tty (job control, line editing).
    const ownTty = io.stdin === process.stdin && io.stdout === process.stdout;
    const { p, done } = this.start(id, await this.script(m), { stdio: ownTty ? 'inherit' : 'pipe' });
    if (!ownTty) {
      io.stdin.pipe(p.stdin!);
      p.stdout?.pipe(io.stdout as NodeJS.WritableStream, { end: false });
      p.stderr?.pipe(io.stderr as NodeJS.WritableStream, { end: false });
    }
    try {
      return await p.done;
    } finally {
      if (!ownTty) io.stdin.unpipe(p.stdin!);
      done();
    }
  }

  async commit(id: string, opts: CommitOptions): Promise<string> {
    const m = await this.meta(id);
    const parent = await this.store.images.find(m.image);
    if (!parent) throw new EngineError('commit container', id, `its image ${m.image} is gone`);
    const p = nsSpawn(tarUpper(this.dir(id)), this.ids);
    p.stdin?.end();
    let err = '';
    p.stderr?.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-2000);
    });
    const made = new Set((await readFile(join(this.dir(id), 'made'), 'utf8').catch(() => '')).split('\n').filter(Boolean));
    const layer = await this.store.layout.putStream(upperToLayer(p.stdout!.pipe(new PassThrough()), made), MEDIA.layer);
    const code = await p.done;
    if (code !== 0) throw new EngineError('commit container', id, `tar of the upper dir: exit ${code}: ${err.trim()}`);
    await this.store.adoptUnpacked(layer.digest, join(this.dir(id), 'upper'));
    const created = new Date().toISOString();
    const c = parent.config;
    const config = {
      ...c,
      created,
      config: { ...c.config, Labels: opts.labels },
      rootfs: { type: 'layers' as const, diff_ids: [...c.rootfs.diff_ids, layer.digest] },
      history: [...(c.history ?? []), { created, created_by: `stalker step ${opts.repo}:${opts.tag}` }],
    };
    return this.store.images.add(config, [...parent.layers, layer], `${opts.repo}:${opts.tag}`);
  }

  async remove(id: string): Promise<void> {
    this.removed.add(id);
    const pgid = this.running.get(id);
    if (pgid) killGroup(pgid);
    // Files the step made belong to ids of the namespace: only its root can remove them.
    await this.store.removeTree(this.dir(id));
  }

  async list(labels: Labels): Promise<ContainerSummary[]> {
    const out: ContainerSummary[] = [];
    for (const id of await readdir(this.store.containersDir).catch(() => [] as string[])) {
      const m = await this.meta(id).catch(() => undefined);
      if (m && matches(m.spec.labels, labels)) out.push({ id, labels: m.spec.labels, state: this.running.has(id) ? 'running' : m.state, created: m.created });
    }
    return out;
  }

  async export(id: string): Promise<Readable> {
    const m = await this.meta(id);
    const p = nsSpawn(`${await this.mounted(m)}exec tar -C "$M" ${TAR_OUT} -cf - .\n`, this.ids);
    p.stdin?.end();
    const out = new PassThrough();
    let err = '';
    p.stderr?.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-2000);
    });
    p.stdout!.pipe(out, { end: false });
    p.stdout!.on('end', () => {
      void p.done.then((code) => (code === 0 ? out.end() : out.destroy(new EngineError('export container', id, `exit ${code}: ${err.trim()}`))));
    });
    return out;
  }
}
