// One engine as a build uses it: its image index, its live containers (removed on Ctrl-C) and the
// removals still in flight. A build with several engines holds one session per engine.
import { type ExpectedTags, ImageIndex } from '../cache/image-index.js';
import type { ContainerSpec, Engine } from '../engine/engine-port.js';
import { StalkerError } from '../errors.js';
import { sweepLeftovers } from './sweep.js';

export class EngineSession {
  /** Containers of this run that exist right now. */
  readonly live = new Set<string>();
  private readonly pending: Promise<unknown>[] = [];
  private interrupted = false;

  private constructor(
    readonly engine: Engine,
    readonly index: ImageIndex,
  ) {}

  /**
   * Sweeps what killed runs of the tree left in this engine and indexes its images, at once: the
   * sweep removes containers only, which the index does not look at. The index is read from the
   * tags the build expects its steps at (`tags`) when they all hold their keys, else from a list
   * of every image (ImageIndex.ofTags).
   */
  static async open(engine: Engine, tree: string, tags: ExpectedTags): Promise<{ session: EngineSession; swept: number }> {
    const [swept, index] = await Promise.all([sweepLeftovers(engine, tree), ImageIndex.forTree(engine, tags)]);
    return { session: new EngineSession(engine, index), swept };
  }

  async create(spec: ContainerSpec): Promise<string> {
    const id = await this.engine.containers.create(spec);
    // Made while Ctrl-C removed the live ones: it would run the step after all, and be left behind.
    if (this.interrupted) {
      await this.engine.containers.remove(id);
      throw new StalkerError('INTERRUPTED', `container ${id} made after the interrupt: removed`);
    }
    this.live.add(id);
    return id;
  }

  async remove(id: string): Promise<void> {
    await this.engine.containers.remove(id);
    this.live.delete(id);
  }

  /** Off the critical path: the next step only needs the committed image. */
  removeLater(id: string): void {
    this.pending.push(this.engine.containers.remove(id).finally(() => this.live.delete(id)));
  }

  /** Ctrl-C: every live container goes now (a running step's wait then returns). */
  interrupt(): void {
    this.interrupted = true;
    for (const id of this.live) this.pending.push(this.engine.containers.remove(id));
  }

  async settle(): Promise<void> {
    await Promise.allSettled(this.pending);
  }
}
