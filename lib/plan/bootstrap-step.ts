// A root node's first step. Its identity is content, never an engine-local id: a tarball's
// sha256 (not its path: moving the file does not rebuild), the mmdebstrap configuration, or the
// pinned reference of an `image` bootstrap.
import { KEY_VERSION, type BootstrapKeyParts } from '../cache/cache-key.js';
import type { Bootstrap, ResolvedNode } from '../config/types.js';

export const BOOTSTRAP_STEP = 'bootstrap';

/**
 * The version of what stalker adds to an mmdebstrap run (lib/run/bootstrap.ts's hooks): bump it when
 * a hook changes the root's bytes, so every cached debootstrap root misses once instead of a new
 * builder and an old cache disagreeing under one key.
 * 2: /etc/hostname emptied as /etc/resolv.conf is (mmdebstrap copies the build host's).
 */
export const MMDEBSTRAP_RECIPE = 2;

export function bootstrapKeyParts(node: ResolvedNode, b: Bootstrap): BootstrapKeyParts {
  const { file: _file, ...rest } = b as Bootstrap & { file?: string };
  const recipe = b.kind === 'debootstrap' ? { recipe: MMDEBSTRAP_RECIPE } : {};
  return { v: KEY_VERSION, kind: 'bootstrap', platform: node.platform, bootstrap: { ...rest, ...recipe } };
}
