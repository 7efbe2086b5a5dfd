import { pointerEscape } from './hjson-positions.js';
import type { RawNode } from './raw-types.js';

export interface NodeEntry {
  name: string;
  raw: RawNode;
  pointer: string; // JSON pointer of the node in the tree file
  /** Set when the node is nested under `children`: its parent by position. */
  nestedIn?: string;
}

/** Nodes in file order, nested `children` flattened right after their parent. */
export function flattenNodes(stalks: Record<string, RawNode>, pointer = '/stalks', nestedIn?: string): NodeEntry[] {
  const out: NodeEntry[] = [];
  for (const [name, raw] of Object.entries(stalks)) {
    const ptr = `${pointer}/${pointerEscape(name)}`;
    out.push({ name, raw, pointer: ptr, nestedIn });
    if (raw && typeof raw === 'object' && raw.children && typeof raw.children === 'object') out.push(...flattenNodes(raw.children, `${ptr}/children`, name));
  }
  return out;
}
