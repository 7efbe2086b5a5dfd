// The engine as the rest of stalker sees it: one small interface per resource, and a description
// of itself. Docker (docker-engine.ts, opened by open-engine.ts) is one implementation; unit tests
// use an in-memory one (test/support/fake-engine.ts). Nothing above this port knows which it has.
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
  /**
   * Fetches `ref` (repo@digest or repo:tag) from its registry; resolves with the local image id.
   * Optional: an engine without it never uses a shared cache (the build says so once).
   */
  pull?(ref: string): Promise<string>;
  /**
   * A new image of image `id`'s layers under the config `config` (JSON bytes: `id`'s own config
   * with other labels, created time and history), nothing of the layers copied; resolves with
   * its id, the config's sha256. How a pulled image gets this engine's provenance (an image's
   * labels cannot change in place). Optional: an engine without pull has no use for it.
   */
  reconfigure?(id: string, config: Buffer): Promise<string>;
  /** Sends the image tagged `repo:tag` to its registry. */
  push?(repo: string, tag: string): Promise<void>;
  /** The image (with its parents' layers) as a `docker save` archive stream, for another engine's load. */
  save?(id: string): Promise<Readable>;
  /** Loads a `docker save` archive stream (another engine's save); the image keeps its id. */
  load?(archive: Readable): Promise<void>;
  /**
   * The image's layers as overlayfs layer directories on this host, topmost first, readable as
   * they are (owners not shifted, no labels added): what `podman image mount` stacks. undefined
   * when the engine keeps them otherwise or elsewhere; the caller then exports a container.
   */
  layerDirs?(id: string): Promise<string[] | undefined>;
}

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** An engine-side volume: named ones persist (named caches), unnamed ones go with the container. */
export interface VolumeMount {
  name?: string;
  target: string;
}

/**
 * The host name every step sees, whatever machine builds it: tools that record the host name
 * (audit logs, build logs, generated configs) must not make the same step differ between machines.
 */
export const STEP_HOSTNAME = 'stalker';

export interface ContainerSpec {
  name?: string;
  image: string; // image id
  platform: string;
  cmd: string[];
  env?: string[];
  workingDir?: string;
  labels: Labels;
  /** Host paths; only given to an engine whose description says it sees host paths. */
  binds: BindMount[];
  volumes?: VolumeMount[];
  /** For `stalker shell`: a terminal and an open stdin. */
  tty?: boolean;
  stdin?: boolean;
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
  /** What the engine knows it cannot do here, each with how to fix it (`stalker doctor` fails on them). */
  problems?: Array<{ name: string; detail: string; fix: string }>;
}

export interface CommitOptions {
  repo: string;
  tag: string;
  labels: Labels;
}

/** The terminal of an interactive container (`stalker shell`). */
export interface AttachedIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** What an engine is, for the composition root, doctor, cache keys and step staging. */
export interface EngineDescription {
  kind: string; // 'docker', 'fake', ...
  /** The key's executor part: engines declaring the same one share cache hits. */
  executor: string;
  /** Platforms it runs natively and under emulation (binfmt), e.g. linux/amd64. */
  native: string[];
  emulated: string[];
  /** Whether host paths can be bind-mounted (a local daemon); else inputs go in as archives and volumes. */
  seesHostPaths: boolean;
}

export interface ContainerClient {
  create(spec: ContainerSpec): Promise<string>;
  /** Extracts a tar archive into the container's filesystem at `path` before it starts. */
  putArchive(id: string, tar: Buffer | Readable, path: string): Promise<void>;
  /** A path of the container's filesystem as a tar stream (its last component at the top), or undefined if absent. */
  getArchive(id: string, path: string): Promise<Readable | undefined>;
  /** Starts the container, streams its demultiplexed output, resolves with its exit code. */
  run(id: string, onOutput: (stream: OutputStream, chunk: Buffer) => void): Promise<number>;
  /** Starts a container created with tty/stdin wired to a terminal; resolves with its exit code. */
  runAttached(id: string, io: AttachedIo): Promise<number>;
  /** Commits the container's filesystem; the image keeps the config (Cmd, Env) of the image it ran from. */
  commit(id: string, opts: CommitOptions): Promise<string>;
  /** Kills (if running) and removes; an already gone container is not an error. */
  remove(id: string): Promise<void>;
  list(labels: Labels): Promise<ContainerSummary[]>;
  /** The container's whole filesystem as a tar stream (docker export). */
  export(id: string): Promise<Readable>;
}

export interface Engine {
  /** Known without asking the engine (cache keys are computed before anything runs). */
  readonly kind: string;
  readonly executor: string;
  readonly seesHostPaths: boolean;
  images: ImageClient;
  containers: ContainerClient;
  /** Rootless engines: the OCI image layout directory their images live in (skopeo reads it). */
  readonly ociLayout?: string;
  /** Engine reachable? Resolves with its version string or throws EngineError. */
  ping(): Promise<string>;
  /** Engine facts for diagnostics; throws EngineError when it does not answer. */
  info?(): Promise<EngineInfo>;
  describe(): Promise<EngineDescription>;
  /**
   * Rootless engines: runs a host command as root of the engine's user namespace (stdin fed from
   * `input`, stdout handed to `read`), so work that must keep file owners (the image writer) can
   * be done without root. Resolves with its exit code.
   */
  asRoot?(cmd: string[], input: Readable, read: (stdout: Readable) => Promise<void>): Promise<number>;
}
