// The Docker implementation of the engine port (dockerode; local, or remote through DOCKER_HOST).
// Only this module and its docker-* siblings import dockerode.
import Docker from 'dockerode';
import { readdirSync } from 'node:fs';
import { must } from './docker-call.js';
import { DockerContainers } from './docker-containers.js';
import { DockerImages } from './docker-images.js';
import type { ContainerClient, Engine, EngineDescription, EngineInfo, ImageClient } from './engine-port.js';
import { PLATFORM_OF } from './host-platforms.js';

/** A daemon on this machine (unix socket) sees our paths; a remote one (tcp, ssh) does not. */
function localDaemon(host = process.env.DOCKER_HOST ?? ''): boolean {
  return host === '' || host.startsWith('unix://');
}

/** A DOCKER_HOST-style address as dockerode takes it (unix sockets; tcp and ssh as DOCKER_HOST). */
function dockerAt(host: string): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = host; // dockerode parses tcp:// (with DOCKER_TLS_VERIFY/CERT_PATH) and ssh:// from here
  try {
    return new Docker();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
}

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
  private readonly docker: Docker;

  constructor(docker?: Docker, opts: DockerEngineOptions = {}) {
    this.docker = docker ?? (opts.host ? dockerAt(opts.host) : new Docker());
    this.seesHostPaths = (opts.hostPaths ?? true) && localDaemon(opts.host);
    this.images = new DockerImages(this.docker);
    this.containers = new DockerContainers(this.docker);
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
