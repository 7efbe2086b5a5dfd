// A writer node's step: its result is a file, and its "commit" is a fingerprint file beside it
// (removed before writing, written after success). A hit is a fingerprint with the step's key
// beside an output that is still the bytes it describes.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { KEY_VERSION, type WriterKeyParts } from '../cache/cache-key.js';
import type { ResolvedNode, ResolvedTree } from '../config/types.js';
import { TOOL_VERSION } from '../engine/labels.js';

export const WRITE_STEP = 'write';
/**
 * The writer's revision, part of its key: bump it when lib/writer writes other bytes for the same
 * input and options, so images written before are written again (2: identity files 0644; 3: engine stand-ins settled, directory sizes from names).
 */
const WRITER_REVISION = 3;

export interface Fingerprint {
  key: string;
  parts: WriterKeyParts;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export const fingerprintPath = (output: string) => `${output}.stalker.json`;

export function writerOutput(tree: ResolvedTree, node: ResolvedNode): string {
  const output = String(node.writer?.options.output ?? join('out', `${node.name}.img`));
  return isAbsolute(output) ? output : join(tree.root, output);
}

/**
 * The output as the tree names it (relative to the project root), not where the checkout sits: the
 * key seeds the disk's ids, so the same tree built in another directory writes the same image.
 */
export function writerKeyParts(_tree: ResolvedTree, node: ResolvedNode, inputKey: string): WriterKeyParts {
  const options = { ...(node.writer?.options ?? {}), output: String(node.writer?.options.output ?? join('out', `${node.name}.img`)) };
  return { v: KEY_VERSION, kind: 'writer', input: inputKey, options, tool: `${TOOL_VERSION} writer ${WRITER_REVISION}` };
}

/** The fingerprint of the last write; its key is blanked when the output was edited or replaced since. */
export async function readFingerprint(output: string): Promise<Fingerprint | undefined> {
  try {
    const fp = JSON.parse(await readFile(fingerprintPath(output), 'utf8')) as Fingerprint;
    const s = await stat(output);
    return s.size === fp.size && Math.trunc(s.mtimeMs) === fp.mtimeMs ? fp : { ...fp, key: '' };
  } catch {
    return undefined;
  }
}
