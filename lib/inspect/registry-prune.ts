// What `stalker prune` removes from the shared cache: tags of the cache repository that are step
// keys (64 hex digits: stalker's) and that no step of any current tree has. Other tags are not
// ours and are left alone. Pure: the tags and the current keys in, the decision out.
export interface RegistryPruneDecision {
  remove: string[]; // keys no current tree references
  kept: number; // keys some current tree references
  foreign: number; // tags that are not step keys
}

const KEY = /^[0-9a-f]{64}$/;

export function decideRegistryPrune(tags: readonly string[], current: ReadonlySet<string>): RegistryPruneDecision {
  const keys = tags.filter((t) => KEY.test(t));
  const remove = keys.filter((k) => !current.has(k)).sort();
  return { remove, kept: keys.length - remove.length, foreign: tags.length - keys.length };
}
