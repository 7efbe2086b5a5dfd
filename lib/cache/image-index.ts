// What the engine already holds: every image stalker committed, indexed by cache key and tag.
// Built with one engine call per run, so a fully cached build asks the engine almost nothing.
import type { Engine, ImageSummary } from '../engine/engine-port.js';
import { LABEL, TOOL } from '../engine/labels.js';
import type { KeyParts } from './cache-key.js';

/** Where a build expects its steps' images (lib/plan/expected-tags.ts makes these from the keys). */
export interface ExpectedTags {
  /** Each step with an image under its key (not writers, pinned images or cache: false). */
  wanted: { ref: string; key: string }[];
  /** Tags to index when present (the nodes' finals: a hit moves them; an unmoved one is not tagged again). */
  also: string[];
}

export class ImageIndex {
  private readonly byKey = new Map<string, ImageSummary>();
  private readonly byTag = new Map<string, ImageSummary>();

  static async load(engine: Engine): Promise<ImageIndex> {
    const index = new ImageIndex();
    const images = await engine.images.list({ [LABEL.tool]: TOOL });
    // Later entries win a key. Images with one key (a --no-cache or --rebuild run makes a second)
    // can share a creation time: imported bootstrap images all say 0. The engine lists in no fixed
    // order, so ties go to the tagged image (what the last build used), then to the id: the same
    // image every run, rather than a chain that flips and rewrites every writer output.
    const tagged = (i: ImageSummary) => (i.tags.length ? 1 : 0);
    images.sort((a, b) => a.created - b.created || tagged(a) - tagged(b) || a.id.localeCompare(b.id));
    for (const image of images) index.remember(image);
    return index;
  }

  /**
   * A rerun's shortcut: when every tag a build would find its step at holds the key the build
   * expects (`wanted`), those images are all the index it needs, read with one small inspect per
   * tag instead of listing every image stalker ever committed (on Docker 20.10 that list is the
   * slowest call a cached build makes). `also`: tags to index if present (the nodes' finals).
   * Undefined when a tag is missing or holds another key: a hit may then be anywhere, so load().
   */
  static async ofTags(engine: Engine, { wanted, also }: ExpectedTags): Promise<ImageIndex | undefined> {
    const found = await Promise.all([...wanted.map((w) => w.ref), ...also].map((ref) => engine.images.inspect(ref)));
    const held = (i: number) => found[i] && found[i].labels[LABEL.key] === wanted[i].key && found[i].labels[LABEL.failed] !== 'true';
    if (!wanted.every((_, i) => held(i))) return undefined;
    const index = new ImageIndex();
    for (const image of found) if (image) index.remember({ id: image.id, tags: image.tags, labels: image.labels, created: image.created });
    return index;
  }

  /** What a build or its plan indexes: the expected tags when they all hold their keys, else every image. */
  static async forTree(engine: Engine, tags: ExpectedTags): Promise<ImageIndex> {
    return (await ImageIndex.ofTags(engine, tags)) ?? ImageIndex.load(engine);
  }

  remember(image: ImageSummary): void {
    const key = image.labels[LABEL.key];
    if (key && image.labels[LABEL.failed] !== 'true') this.byKey.set(key, image);
    for (const tag of image.tags) this.byTag.set(tag, image);
  }

  lookup(key: string): ImageSummary | undefined {
    return this.byKey.get(key);
  }

  tagged(tag: string): ImageSummary | undefined {
    return this.byTag.get(tag);
  }

  /** The key parts recorded on the image a tag points to (the last build of that step). */
  partsAt(tag: string): KeyParts | undefined {
    const raw = this.byTag.get(tag)?.labels[LABEL.keyParts];
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as KeyParts;
    } catch {
      return undefined;
    }
  }

  /** Points `repo:tag` at the image unless it already is; keeps the index in step. */
  async ensureTag(engine: Engine, image: ImageSummary, repo: string, tag: string): Promise<void> {
    const full = `${repo}:${tag}`;
    if (this.byTag.get(full)?.id === image.id) return;
    await engine.images.tag(image.id, repo, tag);
    const tags = image.tags.includes(full) ? image.tags : [...image.tags, full];
    const updated = { ...image, tags };
    this.byTag.set(full, updated);
    const key = image.labels[LABEL.key];
    if (key) this.byKey.set(key, updated);
  }
}
