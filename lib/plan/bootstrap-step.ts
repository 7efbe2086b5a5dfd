// A root node's first step. Its identity is content, never an engine-local id: a tarball's
// sha256 (not its path: moving the file does not rebuild), the mmdebstrap configuration, or the
// pinned reference of an `image` bootstrap.
import { KEY_VERSION, type BootstrapKeyParts } from '../cache/cache-key.js';
import type { Bootstrap, ResolvedNode } from '../config/types.js';

export const BOOTSTRAP_STEP = 'bootstrap';

export function bootstrapKeyParts(node: ResolvedNode, b: Bootstrap): BootstrapKeyParts {
  const { file: _file, ...rest } = b as Bootstrap & { file?: string };
  return { v: KEY_VERSION, kind: 'bootstrap', platform: node.platform, bootstrap: rest };
}
