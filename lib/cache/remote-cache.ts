// The shared step cache of one run: a registry repository whose tags are step keys. One round of
// manifest HEADs before anything runs says which keys it holds; a hit is pulled by the digest that
// round returned and used only if the pulled image carries the key. A registry that fails is asked
// nothing more this run (one warning); pushes run in the background and never fail the build.
import type { Engine, ImageDetails } from '../engine/engine-port.js';
import { LABEL } from '../engine/labels.js';
import { imageRepo, type RegistryAddress } from './registry-address.js';
import { headManifest } from './registry-client.js';

export interface RemoteCacheOptions {
  from?: RegistryAddress; // read hits from here
  to?: RegistryAddress; // push new step images here (push rights)
  warn(message: string): void;
  pushed?(key: string, outcome: PushOutcome): void;
}

export type PullOutcome = { kind: 'pulled'; image: ImageDetails } | { kind: 'miss'; why: string };
export type PushOutcome = { kind: 'pushed'; ref: string } | { kind: 'failed'; message: string };

const HEADS_AT_ONCE = 16;

export class RemoteCache {
  private readonly found = new Map<string, string>(); // key -> manifest digest in `from`
  private readonly inTo = new Set<string>(); // keys `to` already holds: no push needed
  private readDown = false; // `from` failed: no more HEADs or pulls this run
  private writeDown = false; // `to` failed: no more pushes this run
  private readonly pending: Promise<void>[] = [];
  private readonly same: boolean; // from and to are one repository: one outage, one warning

  constructor(
    private readonly engine: Engine,
    private readonly opts: RemoteCacheOptions,
  ) {
    const { from, to } = opts;
    this.same = !!from && !!to && from.host === to.host && from.repository === to.repository;
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
      this.writeDown = true;
      return;
    }
    const jobs: (() => Promise<void>)[] = [];
    for (const key of new Set(keys)) {
      if (from)
        jobs.push(() =>
          this.head('read', from, key, (digest) => {
            this.found.set(key, digest);
            if (this.same) this.inTo.add(key);
          }),
        );
      if (to && !this.same) jobs.push(() => this.head('write', to, key, () => this.inTo.add(key)));
    }
    await runBounded(jobs, HEADS_AT_ONCE);
  }

  /** The digest the registry holds for `key`, if the HEAD round found it. */
  lookup(key: string): string | undefined {
    return this.readDown ? undefined : this.found.get(key);
  }

  /** Pulls a remote hit; anything but an image carrying the key is a miss (and never used). */
  async pull(key: string, digest: string): Promise<PullOutcome> {
    const from = this.opts.from;
    if (!from || this.readDown || !this.engine.images.pull) return { kind: 'miss', why: 'shared cache unavailable' };
    const ref = `${imageRepo(from)}@${digest}`;
    let image: string;
    try {
      image = await this.engine.images.pull(ref);
    } catch (err) {
      this.found.delete(key);
      // A missing blob is this key's problem; a registry that stopped answering is everyone's.
      const again = await headManifest(from, key);
      if (again.kind === 'error') this.fail('read', `shared cache ${imageRepo(from)} stopped answering, every step not held here is a miss: ${again.message}`);
      else this.inTo.delete(key); // broken behind its tag: a rebuilt image is pushed again
      return { kind: 'miss', why: `pull of ${ref} failed: ${firstLine(err)}` };
    }
    const details = await this.engine.images.inspect(image);
    const label = details?.labels[LABEL.key];
    if (!details || label !== key) {
      // Left in the engine untouched: it may be a local image of its own key, still useful there.
      this.found.delete(key);
      this.inTo.delete(key);
      return { kind: 'miss', why: `${ref} is not the image of this key (its key label: ${label ?? 'none'})` };
    }
    return { kind: 'pulled', image: details };
  }

  /** Queues a push of the local image `image` under tag `key` unless the registry has it. */
  pushLater(key: string, image: string): void {
    const to = this.opts.to;
    if (!to || this.writeDown || this.inTo.has(key) || !this.engine.images.push) return;
    this.inTo.add(key);
    const repo = imageRepo(to);
    const push = async () => {
      await this.engine.images.tag(image, repo, key);
      try {
        await this.engine.images.push!(repo, key);
      } finally {
        // The registry tag is only a handle for the push: it must not keep the image alive locally.
        await this.engine.images.remove(`${repo}:${key}`).catch(() => {});
      }
    };
    this.pending.push(
      push().then(
        () => this.opts.pushed?.(key, { kind: 'pushed', ref: `${repo}:${key}` }),
        (err: unknown) => {
          this.opts.pushed?.(key, { kind: 'failed', message: firstLine(err) });
          this.fail('write', `push to ${repo} failed, no more pushes this run: ${firstLine(err)}`);
        },
      ),
    );
  }

  /** Waits for the pushes in flight (the build's end); their failures were warnings already. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.pending);
  }

  private async head(side: 'read' | 'write', a: RegistryAddress, key: string, onFound: (digest: string) => void): Promise<void> {
    if (side === 'read' ? this.readDown : this.writeDown) return;
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
    if (side === 'read' ? this.readDown : this.writeDown) return;
    if (side === 'read' || this.same) this.readDown = true;
    if (side === 'write' || this.same) this.writeDown = true;
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
