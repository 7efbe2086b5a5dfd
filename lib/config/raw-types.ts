// Shapes of the config files as written, after JSON Schema validation (see schema/*.schema.json).

export type Scalar = string | number | boolean;

export interface RawBootstrap {
  kind: 'debootstrap' | 'tarball' | 'image';
  suite?: string;
  arch?: string;
  variant?: string;
  components?: string[];
  include?: string[];
  mirror?: string;
  file?: string;
  sha256?: string;
  ref?: string;
}

export interface RawCopy {
  from: string;
  src: string;
  dest: string;
}

export interface RawNode {
  stalk?: string;
  from?: string;
  needs?: string[];
  copy?: RawCopy[];
  vars?: Record<string, Scalar>;
  platform?: string;
  bootstrap?: RawBootstrap;
  writer?: Record<string, unknown>;
  children?: Record<string, RawNode>;
}

export interface RawTree {
  repository?: string;
  platform?: string;
  vars?: Record<string, Scalar>;
  stalks: Record<string, RawNode>;
}

export interface RawStep {
  name: string;
  run?: string;
  script?: string;
  plugin?: string;
  args?: Scalar[];
  env?: Record<string, Scalar>;
  cache?: boolean;
}

export interface RawStalk {
  description?: string;
  vars?: Record<string, Scalar | null>;
  env?: Record<string, Scalar>;
  secrets?: string[];
  files?: { src: string; dest: string; template?: boolean; mode?: string; how?: 'copy' | 'mount' }[];
  mounts?: { src: string; dest: string; rw?: boolean }[];
  caches?: { name: string; dest: string }[];
  steps: RawStep[];
}
