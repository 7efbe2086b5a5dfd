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

describe('ofTags: a rerun reads the steps at their tags instead of listing every image', () => {
  const at = (id: string, tag: string, key: string, failed = false) => ({
    id,
    tags: [tag],
    created: 1,
    labels: { [LABEL.tool]: TOOL, [LABEL.key]: key, ...(failed ? { [LABEL.failed]: 'true' } : {}) },
  });
  const engineWith = (images: ReturnType<typeof at>[]) => {
    const asked: string[] = [];
    const engine = {
      images: {
        list: async () => {
          throw new Error('listed every image');
        },
        inspect: async (ref: string) => {
          asked.push(ref);
          const i = images.find((x) => x.tags.includes(ref));
          return i && { ...i, architecture: 'arm64', os: 'linux', cmd: null, env: [] };
        },
      },
    } as unknown as Engine;
    return { engine, asked };
  };
  const wanted = [
    { ref: 'r/a:one', key: 'k1' },
    { ref: 'r/a:two', key: 'k2' },
  ];

  test('every tag holds its key: those images are the index, finals included, and nothing is listed', async () => {
    const { engine, asked } = engineWith([at('sha256:1', 'r/a:one', 'k1'), at('sha256:2', 'r/a:two', 'k2'), at('sha256:2', 'r/a:final', 'k2')]);
    const index = await ImageIndex.ofTags(engine, { wanted, also: ['r/a:final', 'r/b:final'] });
    expect(asked).toEqual(['r/a:one', 'r/a:two', 'r/a:final', 'r/b:final']);
    expect(index?.lookup('k1')?.id).toBe('sha256:1');
    expect(index?.lookup('k2')?.id).toBe('sha256:2');
    expect(index?.tagged('r/a:final')?.id).toBe('sha256:2');
    expect(index?.tagged('r/b:final')).toBeUndefined();
  });

  test('a tag missing, holding another key or a failed state: undefined (the caller lists everything)', async () => {
    for (const images of [
      [at('sha256:1', 'r/a:one', 'k1')],
      [at('sha256:1', 'r/a:one', 'k1'), at('sha256:2', 'r/a:two', 'k-old')],
      [at('sha256:1', 'r/a:one', 'k1'), at('sha256:2', 'r/a:two', 'k2', true)],
    ])
      expect(await ImageIndex.ofTags(engineWith(images).engine, { wanted, also: [] })).toBeUndefined();
  });
});
