// The Docker implementation of the engine port. Every call goes through `call`, which logs
// before and after and translates failures into EngineError naming the operation and target.
import Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { imageArchive } from './image-archive.js';
import { debug } from '../util/debug.js';
import type {
  CommitOptions, ContainerClient, ContainerSpec, ContainerSummary, Engine, EngineInfo, ImageClient,
  ImageDetails, ImageSummary, ImportOptions, Labels, OutputStream,
} from './engine-port.js';

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

async function call<T>(operation: string, target: string, fn: () => Promise<T>, benign: number[] = []): Promise<T | undefined> {
  debug('engine', `${operation} ${target}`);
  try {
    const result = await fn();
    debug('engine', `${operation} ${target}: ok`);
    return result;
  } catch (err) {
    if (benign.includes(statusOf(err) ?? -1)) {
      debug('engine', `${operation} ${target}: ${statusOf(err)} (benign)`);
      return undefined;
    }
    throw new EngineError(operation, target, err);
  }
}

async function must<T>(operation: string, target: string, fn: () => Promise<T>): Promise<T> {
  return (await call(operation, target, fn)) as T;
}

function labelFilter(labels: Labels): string {
  return JSON.stringify({ label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)) });
}

class DockerImages implements ImageClient {
  constructor(private readonly docker: Docker) {}

  async list(labels: Labels): Promise<ImageSummary[]> {
    const rows = await must('list images', labelFilter(labels), () =>
      // all: an image whose tag moved on but that is the parent of a later step's image is an
      // untagged "intermediate" image, which the default listing hides; it is still a cache hit.
      this.docker.listImages({ all: true, filters: labelFilter(labels) } as never) as unknown as Promise<Docker.ImageInfo[]>);
    return rows.map((r) => ({ id: r.Id, tags: (r.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), labels: r.Labels ?? {}, created: r.Created, size: r.Size }));
  }

  async inspect(ref: string): Promise<ImageDetails | undefined> {
    const i = await call('inspect image', ref, () => this.docker.getImage(ref).inspect(), [404]);
    if (!i) return undefined;
    return {
      id: i.Id, tags: i.RepoTags ?? [], labels: i.Config?.Labels ?? {}, created: Date.parse(i.Created) / 1000,
      architecture: i.Architecture, os: i.Os, cmd: i.Config?.Cmd ?? null, env: i.Config?.Env ?? [],
    };
  }

  async tag(id: string, repo: string, tag: string): Promise<void> {
    await must('tag image', `${id} as ${repo}:${tag}`, () => this.docker.getImage(id).tag({ repo, tag }));
  }

  async remove(ref: string): Promise<void> {
    await call('remove image', ref, () => this.docker.getImage(ref).remove({ force: true }), [404, 409]);
  }

  async importTar(rootTar: string, opts: ImportOptions): Promise<string> {
    const target = `${opts.repo}:${opts.tag}`;
    const { stream, id } = await imageArchive(rootTar, {
      platform: opts.platform, labels: opts.labels, cmd: ['/bin/sh'], created: '1970-01-01T00:00:00Z',
    }, target);
    const res = await must('load image', target, () => this.docker.loadImage(stream as never, { quiet: true }) as Promise<NodeJS.ReadableStream>);
    const lines: { stream?: string; error?: string }[] = await must('load image', target, () =>
      new Promise((resolve, reject) =>
        this.docker.modem.followProgress(res, (err: Error | null, out: { stream?: string; error?: string }[]) => (err ? reject(err) : resolve(out)))));
    const failed = lines.find((l) => l.error);
    if (failed) throw new EngineError('load image', target, failed.error);
    // Loading the same root again yields the same id; make sure the tag points at it either way.
    await this.tag(id, opts.repo, opts.tag);
    return id;
  }
}

class DockerContainers implements ContainerClient {
  constructor(private readonly docker: Docker) {}

  async create(spec: ContainerSpec): Promise<string> {
    const c = await must('create container', spec.name ?? spec.image, () =>
      this.docker.createContainer({
        name: spec.name,
        platform: spec.platform,
        Image: spec.image,
        Cmd: spec.cmd,
        Env: spec.env,
        WorkingDir: spec.workingDir,
        Labels: spec.labels,
        Tty: false,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: {
          Binds: spec.binds.map((b) => `${b.source}:${b.target}:${b.readOnly ? 'ro' : 'rw'}`),
          NetworkMode: 'host',
        },
      } as never) as Promise<Docker.Container>);
    return c.id;
  }

  async putArchive(id: string, tar: Buffer | Readable, path: string): Promise<void> {
    await must('put archive into container', id, () => this.docker.getContainer(id).putArchive(tar as never, { path }));
  }

  async getArchive(id: string, path: string): Promise<Readable | undefined> {
    return call('get archive from container', `${id} ${path}`, () => this.docker.getContainer(id).getArchive({ path }) as Promise<Readable>, [404]);
  }

  async run(id: string, onOutput: (stream: OutputStream, chunk: Buffer) => void): Promise<number> {
    const container = this.docker.getContainer(id);
    // Attach before start so no early output is lost; the exit code comes from wait, never the stream.
    const stream = await must('attach container', id, () =>
      container.attach({ stream: true, stdout: true, stderr: true }));
    const out = new PassThrough().on('data', (c: Buffer) => onOutput('stdout', c));
    const err = new PassThrough().on('data', (c: Buffer) => onOutput('stderr', c));
    const ended = new Promise<void>((resolve) => stream.on('end', resolve).on('close', resolve));
    this.docker.modem.demuxStream(stream, out, err);
    await must('start container', id, () => container.start());
    // Default condition "not-running": returns at once if it already exited. (Asked before start,
    // it would answer immediately for a created container, with exit code 0.)
    const result = await must('wait container', id, () => container.wait() as Promise<{ StatusCode: number }>);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000).unref())]);
    return result.StatusCode;
  }

  async commit(id: string, opts: CommitOptions): Promise<string> {
    const res = await must('commit container', `${id} as ${opts.repo}:${opts.tag}`, () =>
      this.docker.getContainer(id).commit({
        _query: { container: id, repo: opts.repo, tag: opts.tag, pause: false },
        _body: { Labels: opts.labels, Cmd: opts.cmd },
      } as never) as unknown as Promise<{ Id: string }>);
    return res.Id;
  }

  async remove(id: string): Promise<void> {
    await call('remove container', id, () => this.docker.getContainer(id).remove({ force: true, v: true }), [404, 409]);
  }

  async list(labels: Labels): Promise<ContainerSummary[]> {
    const rows = await must('list containers', labelFilter(labels), () =>
      this.docker.listContainers({ all: true, filters: labelFilter(labels) }));
    return rows.map((r) => ({ id: r.Id, labels: r.Labels ?? {}, state: r.State, created: r.Created }));
  }

  async export(id: string): Promise<Readable> {
    return must('export container', id, () => this.docker.getContainer(id).export() as Promise<Readable>);
  }
}

export class DockerEngine implements Engine {
  readonly images: ImageClient;
  readonly containers: ContainerClient;
  private readonly docker: Docker;

  constructor(docker = new Docker()) {
    this.docker = docker;
    this.images = new DockerImages(docker);
    this.containers = new DockerContainers(docker);
  }

  async ping(): Promise<string> {
    const v = await must('ping', 'engine', () => this.docker.version());
    return v.Version;
  }

  async info(): Promise<EngineInfo> {
    const i = await must('info', 'engine', () => this.docker.info() as Promise<Record<string, string>>);
    return { version: i.ServerVersion, rootDir: i.DockerRootDir, storageDriver: i.Driver, architecture: i.Architecture };
  }
}
