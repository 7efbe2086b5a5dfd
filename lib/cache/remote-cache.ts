// The shared step cache of one run: a registry repository whose tags are step keys. One round of
// manifest HEADs before anything runs says which keys it holds; a hit is pulled by the digest that
// round returned and used only if the pulled image carries the key. A registry that fails is asked
// nothing more this run (one warning); pushes run in the background and never fail the build.
import type { Engine, ImageDetails } from '../engine/engine-port.js';
import { LABEL, type Owner } from '../engine/labels.js';
import { adoptPulled } from './adopt-pulled.js';
import { imageRepo, type RegistryAddress } from './registry-address.js';
import { headManifest } from './registry-client.js';

export interface RemoteCacheOptions {
  from?: RegistryAddress; // read hits from here
  to?: RegistryAddress; // push new step images here (push rights)
  warn(message: string): void;
  pushed?(key: string, outcome: PushOutcome): void;
  /** The run pulling (a build): a pulled image is relabelled as its own (adopt-pulled.ts). */
  owner?: Pick<Owner, 'run' | 'tree'>;
}

export type PullOutcome = { kind: 'pulled'; image: ImageDetails } | { kind: 'miss'; why: string };
/** there: another run pushed the key meanwhile (the HEAD before the push found it), so this one did not. */
export type PushOutcome = { kind: 'pushed'; ref: string } | { kind: 'there'; ref: string } | { kind: 'failed'; message: string };

const HEADS_AT_ONCE = 16;

/** What the run knows of the registry, shared by the views of every engine of the run. */
class RegistryState {
  readonly found = new Map<string, string>(); // key -> manifest digest in `from`
  readonly inTo = new Set<string>(); // keys `to` already holds (or a push is queued): no push needed
  readonly pushes = new Map<string, Promise<boolean>>(); // key -> its push, resolving to pushed or not
  readonly broken = new Set<string>(); // tags found pointing at a broken or wrong image: pushed over without asking
  readDown = false; // `from` failed: no more HEADs or pulls this run
  writeDown = false; // `to` failed: no more pushes this run
  readonly pending: Promise<unknown>[] = [];
}

export class RemoteCache {
  private readonly same: boolean; // from and to are one repository: one outage, one warning

  constructor(
    private readonly engine: Engine,
    private readonly opts: RemoteCacheOptions,
    private readonly s = new RegistryState(),
  ) {
    const { from, to } = opts;
    this.same = !!from && !!to && from.host === to.host && from.repository === to.repository;
  }

  /**
   * The same cache seen from another engine of the run (pulls into it, pushes from it): one round
   * of HEADs, one warning per outage, one push per key. `push: false`: this engine may not write.
   */
  forEngine(engine: Engine, push: boolean): RemoteCache {
    const { to, ...rest } = this.opts;
    return new RemoteCache(engine, { ...rest, ...(push && to ? { to } : {}) }, this.s);
  }

  get pushes(): boolean {
    return !!this.opts.to && !!this.engine.images.push;
  }

  /** The round of HEADs: every key at once (bounded), before any step is decided. */
  async classify(keys: readonly string[]): Promise<void> {
    const { from, to } = this.opts;
    if (!from && !to) return;
    if (!this.engine.images.pull || !this.engine.images.push) {
      this.fail('read', `engine ${this.engine.kind} cannot pull or push images: the shared cache is not used`);
      this.s.writeDown = true;
      return;
    }
    const jobs: (() => Promise<void>)[] = [];
    for (const key of new Set(keys)) {
      if (from)
        jobs.push(() =>
          this.head('read', from, key, (digest) => {
            this.s.found.set(key, digest);
            if (this.same) this.s.inTo.add(key);
          }),
        );
      if (to && !this.same) jobs.push(() => this.head('write', to, key, () => this.s.inTo.add(key)));
    }
    await runBounded(jobs, HEADS_AT_ONCE);
  }

  /** The digest the registry holds for `key`, if the HEAD round found it. */
  lookup(key: string): string | undefined {
    return this.s.readDown ? undefined : this.s.found.get(key);
  }

  /** Pulls a remote hit; anything but an image carrying the key is a miss (and never used). */
  async pull(key: string, digest: string): Promise<PullOutcome> {
    const from = this.opts.from;
    if (!from || this.s.readDown || !this.engine.images.pull) return { kind: 'miss', why: 'shared cache unavailable' };
    const ref = `${imageRepo(from)}@${digest}`;
    let image: string;
    try {
      image = await this.engine.images.pull(ref);
    } catch (err) {
      this.s.found.delete(key);
      // A missing blob is this key's problem; a registry that stopped answering is everyone's.
      const again = await headManifest(from, key);
      if (again.kind === 'error') this.fail('read', `shared cache ${imageRepo(from)} stopped answering, every step not held here is a miss: ${again.message}`);
      else {
        this.s.inTo.delete(key); // broken behind its tag: a rebuilt image is pushed again
        this.s.broken.add(key);
      }
      return { kind: 'miss', why: `pull of ${ref} failed: ${firstLine(err)}` };
    }
    const details = await this.engine.images.inspect(image);
    const label = details?.labels[LABEL.key];
    if (!details || label !== key) {
      // Left in the engine untouched: it may be a local image of its own key, still useful there.
      this.s.found.delete(key);
      this.s.inTo.delete(key);
      this.s.broken.add(key);
      return { kind: 'miss', why: `${ref} is not the image of this key (its key label: ${label ?? 'none'})` };
    }
    if (!this.opts.owner) return { kind: 'pulled', image: details };
    try {
      return { kind: 'pulled', image: await adoptPulled(this.engine, from, digest, details, this.opts.owner) };
    } catch (err) {
      // Never used with the builder's labels: a miss, the pulled image gone again.
      this.s.found.delete(key);
      await this.engine.images.remove(ref).catch(() => {});
      return { kind: 'miss', why: `pulled ${ref} could not be relabelled as this run's: ${firstLine(err)}` };
    }
  }

  /** Queues a push of the local image `image` under tag `key` unless the registry has it. */
  pushLater(key: string, image: string): void {
    void this.pushOnce(key, image);
  }

  /**
   * The registry reference of `key` once it is pushed (this run's push, queued now if none is,
   * or a HEAD finding it there): how images move between engines of a run. undefined: it cannot
   * be there (no push rights, the registry is down, the push failed).
   */
  async whenPushed(key: string, image: string): Promise<string | undefined> {
    const to = this.opts.to;
    if (!to) return undefined;
    const queued = this.s.pushes.get(key);
    if (queued) return (await queued) ? `${imageRepo(to)}:${key}` : undefined;
    if (this.s.inTo.has(key)) return `${imageRepo(to)}:${key}`;
    return (await this.pushOnce(key, image)) ? `${imageRepo(to)}:${key}` : undefined;
  }

  private pushOnce(key: string, image: string): Promise<boolean> {
    const to = this.opts.to;
    if (!to || this.s.writeDown || this.s.inTo.has(key) || !this.engine.images.push) return Promise.resolve(false);
    this.s.inTo.add(key);
    const repo = imageRepo(to);
    const push = async (): Promise<'pushed' | 'there'> => {
      // Another run (on another engine) may have pushed this key since the HEAD round: one image per key.
      if (!this.s.broken.has(key) && (await headManifest(to, key)).kind === 'found') return 'there';
      await this.engine.images.tag(image, repo, key);
      try {
        await this.engine.images.push!(repo, key);
      } finally {
        // The registry tag is only a handle for the push: it must not keep the image alive locally.
        await this.engine.images.remove(`${repo}:${key}`).catch(() => {});
      }
      return 'pushed';
    };
    const done = push().then(
      (how) => {
        this.opts.pushed?.(key, how === 'pushed' ? { kind: 'pushed', ref: `${repo}:${key}` } : { kind: 'there', ref: `${repo}:${key}` });
        return true;
      },
      (err: unknown) => {
        this.opts.pushed?.(key, { kind: 'failed', message: firstLine(err) });
        this.fail('write', `push to ${repo} failed, no more pushes this run: ${firstLine(err)}`);
        return false;
      },
    );
    this.s.pushes.set(key, done);
    this.s.pending.push(done);
    return done;
  }

  /** Waits for the pushes in flight (the build's end); their failures were warnings already. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.s.pending);
  }

  private async head(side: 'read' | 'write', a: RegistryAddress, key: string, onFound: (digest: string) => void): Promise<void> {
    if (side === 'read' ? this.s.readDown : this.s.writeDown) return;
    const r = await headManifest(a, key);
    if (r.kind === 'found') onFound(r.digest);
    else if (r.kind === 'error') {
      this.fail(
        side,
        side === 'read'
          ? `shared cache ${imageRepo(a)} not usable, every step not held here is a miss: ${r.message}`
          : `shared cache ${imageRepo(a)} not usable, nothing is pushed this run: ${r.message}`,
      );
    }
  }

  private fail(side: 'read' | 'write', message: string): void {
    if (side === 'read' ? this.s.readDown : this.s.writeDown) return;
    if (side === 'read' || this.same) this.s.readDown = true;
    if (side === 'write' || this.same) this.s.writeDown = true;
    this.opts.warn(message);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

async function runBounded(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
}
