// Which steps the shared cache (registry) can hold: images made by stalker under a key that means
// the same on another machine. A pinned `image` bootstrap comes from its own registry, a writer
// makes a file, and a cache:false step has a fresh key every run.
import type { KeyedStep, NodeKeys } from './tree-keys.js';

export function sharable(s: KeyedStep): boolean {
  switch (s.kind) {
    case 'bootstrap':
      return s.bootstrap.kind !== 'image';
    case 'script':
      return s.config.cache;
    case 'writer':
      return false;
  }
}

/** The keys one round of manifest HEADs asks about, nodes the run forces to rebuild left out. */
export function sharableKeys(keys: ReadonlyMap<string, NodeKeys>, forced: ReadonlyMap<string, string>): string[] {
  return [...keys.values()].flatMap((n) => (forced.has(n.node) ? [] : n.steps.filter(sharable).map((s) => s.key)));
}
