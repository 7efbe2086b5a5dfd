// The Docker implementation of the engine port (dockerode, loaded on first use by docker-api.ts;
// local, or remote through DOCKER_HOST). Only this module and its docker-* siblings know Docker.
import type Docker from 'dockerode';
import { readdirSync } from 'node:fs';
import { type DockerApi, dockerApi, unixSocketOf } from './docker-api.js';
import { must } from './docker-call.js';
import { DockerContainers } from './docker-containers.js';
import { DockerImages } from './docker-images.js';
import type { ContainerClient, Engine, EngineDescription, EngineInfo, ImageClient } from './engine-port.js';
import { PLATFORM_OF } from './host-platforms.js';

export interface DockerEngineOptions {
  /** false makes a local daemon take step inputs as archives and volumes, as a remote one must. */
  hostPaths?: boolean;
  /** Another daemon than DOCKER_HOST's (a site file's engine): unix://, tcp:// or ssh://. */
  host?: string;
}

export class DockerEngine implements Engine {
  readonly kind = 'docker';
  readonly executor = 'docker';
  readonly seesHostPaths: boolean;
  readonly images: ImageClient;
  readonly containers: ContainerClient;
  private readonly api: DockerApi;

  constructor(docker?: Docker, opts: DockerEngineOptions = {}) {
    const host = opts.host ?? (process.env.DOCKER_HOST || undefined);
    this.api = dockerApi(host, docker);
    // A daemon on this machine (unix socket) sees our paths; a remote one (tcp, ssh) does not.
    this.seesHostPaths = (opts.hostPaths ?? true) && unixSocketOf(host) !== undefined;
    this.images = new DockerImages(this.api, this.seesHostPaths);
    this.containers = new DockerContainers(this.api);
  }

  private get docker(): Docker {
    return this.api.client();
  }

  async ping(): Promise<string> {
    const v = await must('ping', 'engine', () => this.docker.version());
    return v.Version;
  }

  async info(): Promise<EngineInfo> {
    const i = await must('info', 'engine', () => this.docker.info() as Promise<Record<string, string>>);
    return { version: i.ServerVersion, rootDir: i.DockerRootDir, storageDriver: i.Driver, architecture: i.Architecture };
  }

  async describe(): Promise<EngineDescription> {
    const { architecture } = await this.info();
    const native = PLATFORM_OF[architecture] ? [PLATFORM_OF[architecture]] : [];
    // The kernel's binfmt handlers are the engine host's: only readable here for a local daemon.
    const emulated = this.seesHostPaths ? binfmtPlatforms().filter((p) => !native.includes(p)) : [];
    return { kind: this.kind, executor: this.executor, native, emulated, seesHostPaths: this.seesHostPaths };
  }
}

function binfmtPlatforms(): string[] {
  try {
    return readdirSync('/proc/sys/fs/binfmt_misc')
      .filter((f) => f.startsWith('qemu-'))
      .map((f) => PLATFORM_OF[f.slice(5)])
      .filter((p): p is string => !!p);
  } catch {
    return [];
  }
}
