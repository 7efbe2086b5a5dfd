// hjson for a test tree whose root node is a busybox tarball, plus the given nodes.
import { busyboxRoot, type RootTar } from './busybox-root.js';

export function tarballTree(nodes: string, opts: { arch?: 'amd64' | 'arm64'; vars?: string; repository?: string; root?: RootTar } = {}): string {
  const root = opts.root ?? busyboxRoot(opts.arch ?? 'amd64');
  const platform = opts.arch === 'arm64' ? 'linux/arm64' : 'linux/amd64';
  return `{
    repository: "${opts.repository ?? 'stalkertest'}"
    platform: "${platform}"
    vars: { ${opts.vars ?? ''} }
    stalks: {
      base: { bootstrap: { kind: "tarball", file: "${root.file}", sha256: "${root.sha256}" } }
      ${nodes}
    }
  }`;
}
