// The resolved model: what the loader hands to the graph and the planner. Everything here is
// already validated, every path absolute, every variable substituted; nothing below config
// reads a config file again.

export type Platform = `linux/${string}`;

/** How a root node gets its first image. */
export type Bootstrap =
  | {
      kind: 'debootstrap';
      suite: string;
      arch: string; // Debian arch (amd64, arm64), derived from the node's platform when absent
      variant: string; // mmdebstrap variant, default minbase
      components: string[]; // default ["main"]
      include: string[];
      mirror: string; // default http://deb.debian.org/debian
      /** SOURCE_DATE_EPOCH of the node's steps, which mmdebstrap's reproducible mode follows too. */
      sourceDateEpoch?: string;
    }
  | { kind: 'tarball'; file: string; sha256: string }
  | { kind: 'image'; ref: string }; // an image id (sha256:...) present in the engine

/** A host file or directory bind-mounted into every step of a stalk (read-only unless rw). */
export interface Mount {
  source: string; // absolute host path
  target: string; // absolute container path
  readOnly: boolean;
  /** Content hash of the file or of the whole tree (paths, modes, bytes). Part of the key. */
  sha256: string;
}

/** A named cache directory persisted on the host across builds; never committed, never keyed. */
export interface CacheMount {
  name: string;
  target: string;
}

/** A file placed in the container before a step runs: rendered template or plain file. */
export interface FileInput {
  target: string; // absolute container path
  content: Buffer; // rendered bytes
  mode: number; // e.g. 0o644
  /** copy: written into the image (committed); mount: bind-mounted read-only, not committed */
  how: 'copy' | 'mount';
  origin: string; // host path of the source file, for messages
  sha256: string;
}

/** A path taken from another node's final image into a node, before its first step. */
export interface NodeCopy {
  from: string; // node name; always one of the node's needs
  src: string; // absolute, normalized path in that node's final image
  dest: string; // absolute, normalized path it gets in this node
}

export interface StepScript {
  origin: string; // host path of the script file, or "<stalk file>#steps[i].run" for inline
  content: Buffer; // exact bytes executed; inline scripts without a shebang get "#!/bin/sh -e"
  sha256: string;
}

export interface ResolvedStep {
  node: string;
  name: string;
  script: StepScript;
  args: string[];
  /** Resolved variables and env that reach the script as environment variables (all keyed). */
  env: Record<string, string>;
  /** Names of host environment variables passed through as secrets: values never keyed/committed. */
  secrets: string[];
  cache: boolean;
  mounts: Mount[]; // stalk mounts + sysroot files
  caches: CacheMount[];
  files: FileInput[]; // copies only on the node's first step; mounts on every step
  copies: NodeCopy[]; // the node's copies from other nodes: on its first step only
}

export interface WriterSpec {
  /** Raw writer options from the config; validated and typed by the writer module. */
  options: Record<string, unknown>;
}

export interface ResolvedNode {
  name: string;
  from?: string; // parent node: this node starts from its final image
  needs: string[]; // extra ordering and key inputs (their final image ids enter the key); includes copy sources
  copies: NodeCopy[];
  platform: Platform;
  bootstrap?: Bootstrap;
  writer?: WriterSpec;
  stalk?: { name: string; file: string };
  /** Vars of this node after defaults and overrides, for messages, plan and explain. */
  vars: Record<string, string>;
  steps: ResolvedStep[];
  source: { file: string; line?: number };
}

export interface ResolvedTree {
  name: string; // from trees/<name>/<name>.hjson
  file: string; // absolute path of the tree file
  root: string; // project root (holds stalks/, plugins/, sysroot/, logs/)
  repository: string; // image repository prefix: <repository>/<node>:<step>
  platform: Platform;
  nodes: Map<string, ResolvedNode>; // in file order
  /** Node names in dependency order (parents and needs first; file order among equals). Set by loadTree. */
  order?: string[];
}
