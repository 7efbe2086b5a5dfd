// Registry retention: only tags that are step keys are stalker's; of those, the keys no current
// tree has go, the rest stay.
import { decideRegistryPrune } from '../../lib/inspect/registry-prune.js';

const key = (c: string) => c.repeat(64);

test('step keys no current tree has are removed; current keys and foreign tags stay', () => {
  const d = decideRegistryPrune([key('b'), 'latest', key('a'), key('c'), 'v1.0'], new Set([key('c')]));
  expect(d).toEqual({ remove: [key('a'), key('b')], kept: 1, foreign: 2 });
  expect(decideRegistryPrune([], new Set())).toEqual({ remove: [], kept: 0, foreign: 0 });
  // Not 64 lowercase hex digits: not a key, never removed.
  expect(decideRegistryPrune([key('A'), `${key('a')}0`], new Set()).remove).toEqual([]);
});
