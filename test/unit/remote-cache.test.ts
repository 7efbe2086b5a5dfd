// The HEAD round against a real registry (Debian's docker-registry on 127.0.0.1; no containers):
// keys the registry holds are remote hits with their manifest digest, others misses; a registry
// that is down makes every key a miss with exactly one warning and is not asked again.
import { existsSync } from 'node:fs';
import { parseRegistry } from '../../lib/cache/registry-address.js';
import { headManifest } from '../../lib/cache/registry-client.js';
import { RemoteCache } from '../../lib/cache/remote-cache.js';
import { openEngine } from '../../lib/engine/open-engine.js';
import { type RegistryServer, REGISTRY_BIN, startRegistry } from '../support/registry-server.js';
import { uploadImage } from '../support/registry-upload.js';

const maybe = existsSync(REGISTRY_BIN) ? describe : describe.skip;
const key = (n: number) => n.toString(16).padStart(64, '0');

maybe('RemoteCache.classify', () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    registry = await startRegistry();
  }, 30_000);
  afterAll(async () => {
    await registry?.cleanup();
  });

  // Only the engine's capabilities are looked at here: nothing is pulled or pushed.
  const engine = openEngine({ STALKER_ENGINE: 'docker' });

  test('held keys are remote hits under the digest the registry returns; others are misses', async () => {
    const reg = parseRegistry(`${registry.host}/team/steps`, 'test');
    const digest = await uploadImage(registry.host, 'team/steps', key(1), { 'stalker.key': key(1) });
    const warnings: string[] = [];
    const cache = new RemoteCache(engine, { from: reg, warn: (m) => warnings.push(m) });
    await cache.classify([key(1), key(2), key(1)]);
    expect(cache.lookup(key(1))).toBe(digest);
    expect(cache.lookup(key(2))).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  test('a registry that is down: every key a miss, one warning, then no more requests', async () => {
    await registry.stop();
    try {
      const reg = parseRegistry(`${registry.host}/team/steps`, 'test');
      const warnings: string[] = [];
      const cache = new RemoteCache(engine, { from: reg, to: reg, warn: (m) => warnings.push(m) });
      const t0 = Date.now();
      await cache.classify(Array.from({ length: 40 }, (_, i) => key(i)));
      expect(cache.lookup(key(1))).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/not usable.*ECONNREFUSED/);
      expect(Date.now() - t0).toBeLessThan(3000);
      cache.pushLater(key(3), 'sha256:none'); // the write side went down with it: no push is tried
      await cache.settle();
      expect(warnings).toHaveLength(1);
    } finally {
      await registry.start();
    }
  });

  test('addresses: loopback is http, others https; a bad address is a usage error', async () => {
    expect(parseRegistry('127.0.0.1:5000/a/b', 'x')).toEqual({ host: '127.0.0.1:5000', repository: 'a/b', scheme: 'http' });
    expect(parseRegistry('reg.example.com/team', 'x').scheme).toBe('https');
    expect(parseRegistry('http://ci:5000/team', 'x')).toEqual({ host: 'ci:5000', repository: 'team', scheme: 'http' });
    expect(() => parseRegistry('127.0.0.1:5000', '--cache-from')).toThrow(/--cache-from 127.0.0.1:5000: expected HOST/);
    expect(() => parseRegistry('h/Upper', '--cache-to')).toThrow(/expected HOST/);
    expect(await headManifest(parseRegistry(`${registry.host}/team/steps`, 'x'), key(9))).toEqual({ kind: 'absent' });
  });
});
