// Docker's images behind the port's ImageClient.
import type Docker from 'dockerode';
import { existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import type { DockerApi } from './docker-api.js';
import { call, labelFilter, must } from './docker-call.js';
import type { ImageClient, ImageDetails, ImageSummary, ImportOptions, Labels } from './engine-port.js';
import { configArchive, imageArchive } from './image-archive.js';

type GraphDriver = { Name?: string; Data?: { UpperDir?: string; LowerDir?: string } | null };

export class DockerImages implements ImageClient {
  private unshifted?: Promise<boolean>;

  /** `local`: the daemon is on this machine (a unix socket), so its paths are ours. */
  constructor(
    private readonly api: DockerApi,
    private readonly local = false,
  ) {}

  private get docker(): Docker {
    return this.api.client();
  }

  async list(labels: Labels): Promise<ImageSummary[]> {
    const filters = labelFilter(labels);
    const rows = await must('list images', filters, () =>
      // all: an image whose tag moved on but that is the parent of a later step's image is an
      // untagged "intermediate" image, which the default listing hides; it is still a cache hit.
      this.api.getJson<Docker.ImageInfo[]>(
        '/images/json',
        { all: 'true', filters },
        (d) => d.listImages({ all: true, filters } as never) as unknown as Promise<Docker.ImageInfo[]>,
      ),
    );
    return rows.map((r) => ({
      id: r.Id,
      tags: (r.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      labels: r.Labels ?? {},
      created: r.Created,
      size: r.Size,
    }));
  }

  /** The engine's whole answer for an image; undefined when there is no such image. */
  private inspectRaw(ref: string): Promise<(Docker.ImageInspectInfo & { GraphDriver?: GraphDriver }) | undefined> {
    return call(
      'inspect image',
      ref,
      () => this.api.getJson<Docker.ImageInspectInfo>(`/images/${encodeURI(ref)}/json`, {}, (d) => d.getImage(ref).inspect()),
      [404],
    );
  }

  async inspect(ref: string): Promise<ImageDetails | undefined> {
    const i = await this.inspectRaw(ref);
    if (!i) return undefined;
    return {
      id: i.Id,
      tags: i.RepoTags ?? [],
      labels: i.Config?.Labels ?? {},
      created: Date.parse(i.Created) / 1000,
      architecture: i.Architecture,
      os: i.Os,
      cmd: i.Config?.Cmd ?? null,
      env: i.Config?.Env ?? [],
    };
  }

  async tag(id: string, repo: string, tag: string): Promise<void> {
    await must('tag image', `${id} as ${repo}:${tag}`, () => this.docker.getImage(id).tag({ repo, tag }));
  }

  async remove(ref: string): Promise<void> {
    await call('remove image', ref, () => this.docker.getImage(ref).remove({ force: true }), [404, 409]);
  }

  async pull(ref: string): Promise<string> {
    // An empty auth config: Docker then uses no credentials (loopback, or a registry open to pulls).
    const res = await must('pull image', ref, () => this.docker.pull(ref, { authconfig: {} }) as Promise<NodeJS.ReadableStream>);
    await this.follow('pull image', ref, res);
    const image = await this.inspect(ref);
    if (!image) throw new EngineError('pull image', ref, 'pulled, yet not in the engine');
    return image.id;
  }

  async reconfigure(id: string, config: Buffer): Promise<string> {
    const { stream, id: made } = configArchive(config);
    await this.load(stream);
    if (!(await this.inspect(made))) throw new EngineError('load image', `config of ${id}`, 'loaded, yet not in the engine');
    return made;
  }

  async push(repo: string, tag: string): Promise<void> {
    const ref = `${repo}:${tag}`;
    const res = await must('push image', ref, () => this.docker.getImage(repo).push({ tag, authconfig: {} }) as Promise<NodeJS.ReadableStream>);
    await this.follow('push image', ref, res);
  }

  async save(id: string): Promise<Readable> {
    return must('save image', id, () => this.docker.getImage(id).get() as Promise<Readable>);
  }

  async load(archive: Readable): Promise<void> {
    const res = await must('load image', 'archive', () => this.docker.loadImage(archive as never, { quiet: true }) as Promise<NodeJS.ReadableStream>);
    await this.follow('load image', 'archive', res);
  }

  /**
   * overlay2's layer directories, when they hold the image's files as they are: a local daemon
   * neither rootless nor user-namespace-remapped (both store owners shifted), on a host without
   * SELinux (which labels every file of a layer). Any doubt answers undefined: export is the way.
   */
  async layerDirs(id: string): Promise<string[] | undefined> {
    if (!this.local || existsSync('/sys/fs/selinux/enforce')) return undefined;
    this.unshifted ??= must('info', 'engine', () => this.docker.info() as Promise<{ SecurityOptions?: string[] }>).then(
      (i) => !(i.SecurityOptions ?? []).some((o) => /^name=(rootless|userns)\b/.test(o)),
    );
    if (!(await this.unshifted)) return undefined;
    const i = await this.inspectRaw(id);
    const data = i?.GraphDriver?.Name === 'overlay2' ? i.GraphDriver.Data : undefined;
    if (!data?.UpperDir) return undefined;
    const dirs = [data.UpperDir, ...(data.LowerDir ? data.LowerDir.split(':') : [])];
    return dirs.every((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory()) ? dirs : undefined;
  }

  /** A pull, push or load answers 200 first and reports failure inside its progress stream. */
  private async follow(operation: string, target: string, res: NodeJS.ReadableStream): Promise<void> {
    const lines: { error?: string }[] = await must(
      operation,
      target,
      () =>
        new Promise((resolve, reject) =>
          this.docker.modem.followProgress(res, (err: Error | null, out: { error?: string }[]) => (err ? reject(err) : resolve(out))),
        ),
    );
    const failed = lines.find((l) => l.error);
    if (failed) throw new EngineError(operation, target, failed.error);
  }

  async importTar(rootTar: string, opts: ImportOptions): Promise<string> {
    const target = `${opts.repo}:${opts.tag}`;
    const { stream, id } = await imageArchive(
      rootTar,
      {
        platform: opts.platform,
        labels: opts.labels,
        cmd: ['/bin/sh'],
        created: '1970-01-01T00:00:00Z',
      },
      target,
    );
    const res = await must('load image', target, () => this.docker.loadImage(stream as never, { quiet: true }) as Promise<NodeJS.ReadableStream>);
    await this.follow('load image', target, res);
    // Loading the same root again yields the same id; make sure the tag points at it either way.
    await this.tag(id, opts.repo, opts.tag);
    return id;
  }
}
