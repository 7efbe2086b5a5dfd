// The cache index picks one image per key, the same one whatever order the engine lists them in
// (two images share a key after a --no-cache run; imported bootstrap images share created=0).
import { ImageIndex } from '../../lib/cache/image-index.js';
import type { Engine, ImageSummary } from '../../lib/engine/engine-port.js';
import { LABEL, TOOL } from '../../lib/engine/labels.js';

const image = (id: string, created: number, tags: string[] = []): ImageSummary => ({ id, tags, created, labels: { [LABEL.tool]: TOOL, [LABEL.key]: 'k1' } });

const engineListing = (images: ImageSummary[]) => ({ images: { list: async () => images.map((i) => ({ ...i })) } }) as unknown as Engine;

test('equal creation times: the tagged image wins, in any listing order', async () => {
  const old = image('sha256:bbb', 0);
  const current = image('sha256:aaa', 0, ['raspi/base:bootstrap']);
  for (const order of [
    [old, current],
    [current, old],
  ]) {
    const index = await ImageIndex.load(engineListing(order));
    expect(index.lookup('k1')?.id).toBe('sha256:aaa');
  }
});

test('equal creation times, neither tagged: the same id every time', async () => {
  const a = image('sha256:aaa', 5);
  const b = image('sha256:bbb', 5);
  const picks = await Promise.all(
    [
      [a, b],
      [b, a],
    ].map(async (order) => (await ImageIndex.load(engineListing(order))).lookup('k1')?.id),
  );
  expect(picks[0]).toBe(picks[1]);
});

test('otherwise the newest image of a key wins', async () => {
  const index = await ImageIndex.load(engineListing([image('sha256:new', 20), image('sha256:old', 10, ['x/y:z'])]));
  expect(index.lookup('k1')?.id).toBe('sha256:new');
});
