// The engine as the rest of stalker sees it: one small interface per resource. Docker is the
// only implementation (docker-engine.ts); unit tests use a fake.
import type { Readable } from 'node:stream';

export type Labels = Record<string, string>;

export interface ImageSummary {
  id: string; // sha256:...
  tags: string[]; // repo:tag
  labels: Labels;
  created: number; // unix seconds
  size?: number; // bytes, this image with its parents' layers
}

export interface ImageDetails extends ImageSummary {
  architecture: string;
  os: string;
  cmd: string[] | null;
  env: string[];
}

export interface ImportOptions {
  repo: string;
  tag: string;
  platform: string;
  labels: Labels;
}

export interface ImageClient {
  /** Images carrying every given label (value "" matches the label's presence). */
  list(labels: Labels): Promise<ImageSummary[]>;
  /** undefined when no such image: 404 is an answer here, not an error. */
  inspect(ref: string): Promise<ImageDetails | undefined>;
  tag(id: string, repo: string, tag: string): Promise<void>;
  remove(ref: string): Promise<void>;
  /** Makes an image of one layer from a root filesystem tar file on the host; returns its id. */
  importTar(rootTar: string, opts: ImportOptions): Promise<string>;
}

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  name?: string;
  image: string; // image id
  platform: string;
  cmd: string[];
  env?: string[];
  workingDir?: string;
  labels: Labels;
  binds: BindMount[];
}

export type OutputStream = 'stdout' | 'stderr';

export interface ContainerSummary {
  id: string;
  labels: Labels;
  state: string;
  created?: number; // unix seconds
}

/** What `stalker doctor` asks the engine about itself. */
export interface EngineInfo {
  version: string;
  rootDir: string; // where images and containers live on the engine's host
  storageDriver: string;
  architecture: string; // the engine host's, e.g. x86_64
}

export interface CommitOptions {
  repo: string;
  tag: string;
  labels: Labels;
  /** The image config's Cmd to keep (the parent's), so our step command never lands in it. */
  cmd: string[];
}

export interface ContainerClient {
  create(spec: ContainerSpec): Promise<string>;
  /** Extracts a tar archive into the container's filesystem at `path` before it starts. */
  putArchive(id: string, tar: Buffer | Readable, path: string): Promise<void>;
  /** A path of the container's filesystem as a tar stream (its last component at the top), or undefined if absent. */
  getArchive(id: string, path: string): Promise<Readable | undefined>;
  /** Starts the container, streams its demultiplexed output, resolves with its exit code. */
  run(id: string, onOutput: (stream: OutputStream, chunk: Buffer) => void): Promise<number>;
  commit(id: string, opts: CommitOptions): Promise<string>;
  /** Kills (if running) and removes; an already gone container is not an error. */
  remove(id: string): Promise<void>;
  list(labels: Labels): Promise<ContainerSummary[]>;
  /** The container's whole filesystem as a tar stream (docker export). */
  export(id: string): Promise<Readable>;
}

export interface Engine {
  images: ImageClient;
  containers: ContainerClient;
  /** Engine reachable? Resolves with its version string or throws EngineError. */
  ping(): Promise<string>;
  /** Engine facts for diagnostics; throws EngineError when it does not answer. */
  info?(): Promise<EngineInfo>;
}
