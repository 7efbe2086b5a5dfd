// Why a step missed: compares the key parts stored on the last build of a step with the parts
// computed now, and names each part that changed.
import { canonicalJson } from './canonical-json.js';
import type { KeyParts } from './cache-key.js';

export type KeyChange =
  | { part: 'never-built' }
  | { part: 'version' | 'kind' | 'platform' | 'parent' | 'script' | 'args' | 'secrets' | 'copies' | 'executor' | 'options' | 'bootstrap' | 'input' | 'tool' }
  | { part: 'var' | 'file' | 'mount' | 'need'; name: string; before?: string; after?: string }
  | { part: 'uncached' }
  /** No part changed, but the user asked to skip the cache (here or upstream). */
  | { part: 'forced'; by: string }
  /** The shared cache said it held the key, but its image could not be used (why). */
  | { part: 'registry'; why: string };

function diffMap(part: 'var' | 'file' | 'mount' | 'need', a: Record<string, string> = {}, b: Record<string, string> = {}): KeyChange[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.filter((n) => a[n] !== b[n]).map((name) => ({ part, name, before: a[name], after: b[name] }));
}

export function diffKeyParts(before: KeyParts | undefined, after: KeyParts): KeyChange[] {
  if (!before) return [{ part: 'never-built' }];
  if (before.v !== after.v) return [{ part: 'version' }];
  if (before.kind !== after.kind) return [{ part: 'kind' }];
  const changes: KeyChange[] = [];
  const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);
  if (before.kind === 'step' && after.kind === 'step') {
    if (after.nonce) changes.push({ part: 'uncached' });
    if (before.platform !== after.platform) changes.push({ part: 'platform' });
    if (before.parent !== after.parent) changes.push({ part: 'parent' });
    if (before.script !== after.script) changes.push({ part: 'script' });
    if (!same(before.args, after.args)) changes.push({ part: 'args' });
    if (!same(before.secrets, after.secrets)) changes.push({ part: 'secrets' });
    changes.push(...diffMap('var', before.env, after.env));
    changes.push(...diffMap('file', before.files, after.files));
    changes.push(...diffMap('mount', before.mounts, after.mounts));
    changes.push(...diffMap('need', before.needs, after.needs));
    if (!same(before.copies ?? [], after.copies ?? [])) changes.push({ part: 'copies' });
    if (!same(before.executor, after.executor)) changes.push({ part: 'executor' });
  } else if (before.kind === 'bootstrap' && after.kind === 'bootstrap') {
    if (before.platform !== after.platform) changes.push({ part: 'platform' });
    if (!same(before.bootstrap, after.bootstrap)) changes.push({ part: 'bootstrap' });
  } else if (before.kind === 'writer' && after.kind === 'writer') {
    if (before.input !== after.input) changes.push({ part: 'input' });
    if (!same(before.options, after.options)) changes.push({ part: 'options' });
    if (before.tool !== after.tool) changes.push({ part: 'tool' });
  }
  return changes;
}

export function describeChange(c: KeyChange): string {
  switch (c.part) {
    case 'never-built':
      return 'never built before';
    case 'uncached':
      return 'step has cache: false';
    case 'var':
      return `var ${c.name} changed (${c.before ?? '<unset>'} -> ${c.after ?? '<unset>'})`;
    case 'file':
      return `file ${c.name} changed`;
    case 'mount':
      return `mounted ${c.name} changed`;
    case 'need':
      return `needed node ${c.name} changed`;
    case 'parent':
      return 'parent step changed';
    case 'input':
      return 'input root filesystem changed';
    case 'executor':
      return 'executor changed (engine kind or container options)';
    case 'forced':
      return `cache skipped (${c.by})`;
    case 'registry':
      return `registry hit unusable: ${c.why}`;
    case 'copies':
      return 'copy list changed';
    default:
      return `${c.part} changed`;
  }
}
