// Docker's containers behind the port's ContainerClient.
import type Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import type { DockerApi } from './docker-api.js';
import { call, labelFilter, must } from './docker-call.js';
import { watchEngine } from './docker-watchdog.js';
import {
  type AttachedIo,
  type CommitOptions,
  type ContainerClient,
  type ContainerSpec,
  type ContainerSummary,
  type Labels,
  type OutputStream,
  STEP_HOSTNAME,
} from './engine-port.js';

export class DockerContainers implements ContainerClient {
  /** container -> the image it was created from; image -> its config's Cmd (images never change). */
  private readonly imageOf = new Map<string, string>();
  private readonly cmdOf = new Map<string, string[]>();

  constructor(private readonly api: DockerApi) {}

  private get docker(): Docker {
    return this.api.client();
  }

  async create(spec: ContainerSpec): Promise<string> {
    const c = await must(
      'create container',
      spec.name ?? spec.image,
      () =>
        this.docker.createContainer({
          name: spec.name,
          platform: spec.platform,
          Image: spec.image,
          Hostname: STEP_HOSTNAME,
          Cmd: spec.cmd,
          Env: spec.env,
          WorkingDir: spec.workingDir,
          Labels: spec.labels,
          Tty: !!spec.tty,
          OpenStdin: !!spec.stdin,
          StdinOnce: !!spec.stdin,
          AttachStdin: !!spec.stdin,
          AttachStdout: true,
          AttachStderr: true,
          HostConfig: {
            Binds: spec.binds.map((b) => `${b.source}:${b.target}:${b.readOnly ? 'ro' : 'rw'}`),
            Mounts: (spec.volumes ?? []).filter((v) => v.name).map((v) => ({ Type: 'volume', Source: v.name, Target: v.target })),
            NetworkMode: 'host',
          },
          // unnamed volumes: anonymous ones, removed with the container (remove passes v: true)
          Volumes: Object.fromEntries((spec.volumes ?? []).filter((v) => !v.name).map((v) => [v.target, {}])),
        } as never) as Promise<Docker.Container>,
    );
    this.imageOf.set(c.id, spec.image);
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
    const stream = await must('attach container', id, () => container.attach({ stream: true, stdout: true, stderr: true }));
    const out = new PassThrough().on('data', (c: Buffer) => onOutput('stdout', c));
    const err = new PassThrough().on('data', (c: Buffer) => onOutput('stderr', c));
    const ended = new Promise<void>((resolve) => stream.on('end', resolve).on('close', resolve));
    this.docker.modem.demuxStream(stream, out, err);
    await must('start container', id, () => container.start());
    // Default condition "not-running": returns at once if it already exited. (Asked before start,
    // it would answer immediately for a created container, with exit code 0.)
    const watchdog = watchEngine(this.docker, id);
    try {
      const result = await Promise.race([must('wait container', id, () => container.wait() as Promise<{ StatusCode: number }>), watchdog.dead]);
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2000).unref())]);
      return result.StatusCode;
    } finally {
      watchdog.stop();
    }
  }

  async runAttached(id: string, io: AttachedIo): Promise<number> {
    const container = this.docker.getContainer(id);
    const info = await must('inspect container', id, () => container.inspect());
    const tty = !!info.Config.Tty;
    const stream = await must('attach container', id, () => container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }));
    if (tty) stream.pipe(io.stdout as NodeJS.WritableStream);
    else this.docker.modem.demuxStream(stream, io.stdout, io.stderr);
    io.stdin.pipe(stream);
    await must('start container', id, () => container.start());
    const resize = () => {
      const out = io.stdout as NodeJS.WriteStream;
      if (out.columns) void call('resize container', id, () => container.resize({ h: out.rows, w: out.columns }), [404, 409]);
    };
    if (tty) {
      resize();
      process.stdout.on('resize', resize);
    }
    try {
      const result = await must('wait container', id, () => container.wait() as Promise<{ StatusCode: number }>);
      return result.StatusCode;
    } finally {
      io.stdin.unpipe(stream);
      process.stdout.off('resize', resize);
      stream.end();
    }
  }

  async commit(id: string, opts: CommitOptions): Promise<string> {
    // Docker's commit writes the container's own Cmd (our step command) into the image config.
    // The image must keep the Cmd of the image the step started from, so it is passed back.
    const cmd = await this.parentCmd(id);
    const res = await must(
      'commit container',
      `${id} as ${opts.repo}:${opts.tag}`,
      () =>
        this.docker.getContainer(id).commit({
          _query: { container: id, repo: opts.repo, tag: opts.tag, pause: false },
          _body: { Labels: opts.labels, Cmd: cmd },
        } as never) as unknown as Promise<{ Id: string }>,
    );
    this.cmdOf.set(res.Id, cmd); // the next step of a chain starts from this image: no inspect
    return res.Id;
  }

  private async parentCmd(id: string): Promise<string[]> {
    let image = this.imageOf.get(id);
    if (!image) image = (await must('inspect container', id, () => this.docker.getContainer(id).inspect())).Image;
    const known = this.cmdOf.get(image);
    if (known) return known;
    const i = await must('inspect image', image, () => this.docker.getImage(image).inspect());
    const cmd = i.Config?.Cmd ?? ['/bin/sh'];
    this.cmdOf.set(image, cmd);
    return cmd;
  }

  async remove(id: string): Promise<void> {
    await call('remove container', id, () => this.docker.getContainer(id).remove({ force: true, v: true }), [404, 409]);
    this.imageOf.delete(id);
  }

  async list(labels: Labels): Promise<ContainerSummary[]> {
    const filters = labelFilter(labels);
    const rows = await must('list containers', filters, () =>
      this.api.getJson<Docker.ContainerInfo[]>('/containers/json', { all: 'true', filters }, (d) => d.listContainers({ all: true, filters })),
    );
    return rows.map((r) => ({ id: r.Id, labels: r.Labels ?? {}, state: r.State, created: r.Created }));
  }

  async export(id: string): Promise<Readable> {
    return must('export container', id, () => this.docker.getContainer(id).export() as Promise<Readable>);
  }
}
