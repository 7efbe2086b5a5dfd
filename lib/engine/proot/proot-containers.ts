// Containers of the proot backend: a writable copy (cp -a, reflink where the filesystem offers
// it) of the parent image's root directory per step, run under `proot -0`; the commit is the
// difference against the parent's root, and the copy then becomes the new image's root.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AttachedIo, CommitOptions, ContainerClient, ContainerSpec, ContainerSummary, Labels, OutputStream } from '../engine-port.js';
import { EngineError } from '../../errors.js';
import { exec } from '../../util/exec.js';
import { killTree } from '../../util/kill-tree.js';
import { own } from '../../util/owned-processes.js';
import { hostMachine } from '../host-platforms.js';
import { DEFAULT_ENV, newId, type OciImages } from '../oci-store/oci-images.js';
import { MEDIA } from '../oci-store/oci-layout.js';
import { PROOT_ENV } from './proot-binary.js';
import { applyLayer, diffLayer } from './root-dirs.js';
import { applyChownLog, type InodeOwners, ownerLines, type OwnerMap, ownersByInode, readOwners, writeOwners } from './root-owners.js';
import { withOwners } from './tar-owners.js';

interface Meta {
  id: string;
  spec: ContainerSpec;
  image: string;
  created: number;
  state: string;
}

const matches = (have: Labels, want: Labels) => Object.entries(want).every(([k, v]) => (v === '' ? k in have : have[k] === v));
const QEMU: Record<string, string> = { 'linux/arm64': 'aarch64', 'linux/arm/v7': 'arm', 'linux/amd64': 'x86_64' };
const rootName = (imageId: string) => imageId.replace(/^sha256:/, '').slice(0, 20);
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

export class ProotContainers implements ContainerClient {
  private readonly running = new Map<string, number>();
  /** Removed (an interrupt): a run that was still on its way must not start after all. */
  private readonly removed = new Set<string>();
  private readonly building = new Map<string, Promise<string>>();

  constructor(
    private readonly dir: string,
    private readonly images: OciImages,
    private readonly proot: string,
  ) {}

  private cdir(id: string) {
    return join(this.dir, 'containers', id);
  }
  private root(id: string) {
    return join(this.cdir(id), 'root');
  }

  private async meta(id: string): Promise<Meta> {
    try {
      return JSON.parse(await readFile(join(this.cdir(id), 'meta.json'), 'utf8')) as Meta;
    } catch (err) {
      throw new EngineError('find container', id, err);
    }
  }

  /** The image's root directory, made from its layers the first time it is needed. */
  private imageRoot(imageId: string): Promise<string> {
    const dir = join(this.dir, 'roots', rootName(imageId));
    let p = this.building.get(dir);
    if (!p) {
      p = (async () => {
        if (await exists(dir)) return dir;
        const image = await this.images.find(imageId);
        if (!image) throw new EngineError('find image', imageId, 'not in the store');
        const tmp = `${dir}.in-${process.pid}`;
        await rm(tmp, { recursive: true, force: true });
        await mkdir(tmp, { recursive: true });
        const owners: OwnerMap = new Map();
        for (const l of image.layers) await applyLayer(tmp, this.images.layout.blobPath(l.digest), owners);
        await writeOwners(dir, owners);
        await rename(tmp, dir);
        return dir;
      })();
      this.building.set(dir, p);
      p.catch(() => this.building.delete(dir));
    }
    return p;
  }

  async create(spec: ContainerSpec): Promise<string> {
    const image = await this.images.find(spec.image);
    if (!image) throw new EngineError('create container', spec.image, 'no such image in the store');
    const from = await this.imageRoot(image.id);
    const id = `p${newId().slice(0, 16)}`;
    await mkdir(this.cdir(id), { recursive: true });
    await exec('cp', ['-a', '--reflink=auto', from, this.root(id)]);
    // the owners the copy starts with, by inode: stalker's proot reports them and appends chowns
    await writeFile(this.chownLog(id), ownerLines(await ownersByInode(this.root(id), await readOwners(from))));
    await writeFile(
      join(this.cdir(id), 'meta.json'),
      JSON.stringify({ id, spec, image: image.id, created: Date.now() / 1000, state: 'created' } satisfies Meta),
    );
    return id;
  }

  async putArchive(id: string, tar: Buffer | Readable, path: string): Promise<void> {
    const at = join(this.root(id), path);
    await mkdir(at, { recursive: true });
    await exec('tar', ['-C', at, '--no-same-owner', '-xf', '-'], { input: Buffer.isBuffer(tar) ? tar : tar });
  }

  async getArchive(id: string, path: string): Promise<Readable | undefined> {
    const full = join(this.root(id), path);
    if (!(await exists(full))) return undefined;
    const slash = full.lastIndexOf('/');
    return this.tarOut(full.slice(0, slash), full.slice(slash + 1), this.owners(id));
  }

  /** The container's owners now: its copy's, then every chown its steps made (proot's log). */
  private async owners(id: string): Promise<InodeOwners> {
    return applyChownLog(new Map(), await readFile(this.chownLog(id), 'utf8').catch(() => ''));
  }
  private chownLog(id: string) {
    return join(this.cdir(id), 'chowns.log');
  }

  private tarOut(dir: string, what: string, owners: Promise<InodeOwners>): Readable {
    const child = spawn('tar', ['-C', dir, '--numeric-owner', '-cf', '-', what], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = withOwners(child.stdout, dir, owners);
    child.on('close', (code) => (code === 0 ? undefined : out.destroy(new EngineError('tar', dir, `exit ${code}`))));
    return out;
  }

  private async command(m: Meta): Promise<{ args: string[]; env: Record<string, string> }> {
    const image = await this.images.inspect(m.image);
    const env: Record<string, string> = { ...PROOT_ENV, STALKER_PROOT_OWNERS: this.chownLog(m.id) };
    for (const e of [...(image?.env.length ? image.env : DEFAULT_ENV), 'HOME=/root', ...(m.spec.env ?? [])])
      env[e.slice(0, e.indexOf('='))] = e.slice(e.indexOf('=') + 1);
    const args = ['-0', '-r', this.root(m.id), '-b', '/dev', '-b', '/proc', '-b', '/sys', '-b', '/etc/resolv.conf', '-w', m.spec.workingDir ?? '/'];
    // read-only binds are not a thing proot offers: they are read-write (see README)
    for (const b of m.spec.binds) args.push('-b', `${b.source}:${b.target}`);
    const qemu = QEMU[m.spec.platform];
    if (qemu && qemu !== hostMachine()) args.push('-q', `qemu-${qemu}-static`);
    return { args: [...args, ...m.spec.cmd], env };
  }

  async run(id: string, onOutput: (stream: OutputStream, chunk: Buffer) => void): Promise<number> {
    const m = await this.meta(id);
    const { args, env } = await this.command(m);
    if (this.removed.has(id)) throw new EngineError('run container', id, 'it was removed (interrupted)');
    const child = spawn(this.proot, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid!;
    this.running.set(id, pid);
    // proot is a tracer, not a namespace: its tracees die only when killed themselves (kill-tree.ts)
    const disown = own(pid, () => killTree(pid));
    child.stdout.on('data', (c: Buffer) => onOutput('stdout', c));
    child.stderr.on('data', (c: Buffer) => onOutput('stderr', c));
    try {
      return await new Promise<number>((resolve, reject) => child.on('error', reject).on('close', (code, sig) => resolve(code ?? (sig ? 137 : 1))));
    } finally {
      disown();
      this.running.delete(id);
    }
  }

  async runAttached(id: string, io: AttachedIo): Promise<number> {
    const m = await this.meta(id);
    const { args, env } = await this.command(m);
    const child = spawn(this.proot, args, { env, stdio: 'inherit' });
    void io;
    return new Promise<number>((resolve, reject) => child.on('error', reject).on('close', (code) => resolve(code ?? 1)));
  }

  async commit(id: string, opts: CommitOptions): Promise<string> {
    const m = await this.meta(id);
    const parent = await this.images.find(m.image);
    if (!parent) throw new EngineError('commit container', id, `its image ${m.image} is gone`);
    const skip = new Set(m.spec.binds.map((b) => b.target));
    const parentRoot = await this.imageRoot(parent.id);
    const owners = { byInode: await this.owners(id), parent: await readOwners(parentRoot), out: new Map() as OwnerMap };
    const layer = await this.images.layout.putStream(diffLayer(this.root(id), parentRoot, skip, owners), MEDIA.layer);
    const created = new Date().toISOString();
    const c = parent.config;
    const image = await this.images.add(
      {
        ...c,
        created,
        config: { ...c.config, Labels: opts.labels },
        rootfs: { type: 'layers', diff_ids: [...c.rootfs.diff_ids, layer.digest] },
        history: [...(c.history ?? []), { created, created_by: `stalker step ${opts.repo}:${opts.tag} (proot)` }],
      },
      [...parent.layers, layer],
      `${opts.repo}:${opts.tag}`,
    );
    const keep = join(this.dir, 'roots', rootName(image));
    if (!(await exists(keep))) {
      await writeOwners(keep, owners.out);
      await rename(this.root(id), keep);
      this.building.set(keep, Promise.resolve(keep));
    }
    return image;
  }

  async remove(id: string): Promise<void> {
    this.removed.add(id);
    const pid = this.running.get(id);
    if (pid) killTree(pid);
    await exec('chmod', ['-R', 'u+rwX', this.cdir(id)]).catch(() => {});
    await rm(this.cdir(id), { recursive: true, force: true });
  }

  async list(labels: Labels): Promise<ContainerSummary[]> {
    const out: ContainerSummary[] = [];
    for (const id of await readdir(join(this.dir, 'containers')).catch(() => [] as string[])) {
      const m = await this.meta(id).catch(() => undefined);
      if (m && matches(m.spec.labels, labels)) out.push({ id, labels: m.spec.labels, state: this.running.has(id) ? 'running' : m.state, created: m.created });
    }
    return out;
  }

  async export(id: string): Promise<Readable> {
    return this.tarOut(this.root(id), '.', this.owners(id));
  }
}
