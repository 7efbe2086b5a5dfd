// The site file: found by flag, then STALKER_ENGINES, then ~/.config/stalker/engines.hjson;
// validated with positioned problems like a tree; push rights only when both the cache and the
// engine allow it, and --cache-from/--cache-to override it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSiteFile, loadSite } from '../../lib/config/load-site.js';
import { ConfigError } from '../../lib/errors.js';
import { openSite, sharedCacheOf } from '../../lib/cli/cache-flags.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stalker-site-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function site(text: string): string {
  const file = join(dir, 'engines.hjson');
  writeFileSync(file, text);
  return file;
}

function problemsOf(file: string) {
  try {
    loadSite(file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line}:${p.col} ${p.message}`);
    throw err;
  }
  throw new Error('no problem reported');
}

test('found by flag, then STALKER_ENGINES, then the home config; none means no site', () => {
  const home = join(dir, 'home');
  expect(findSiteFile(undefined, { HOME: home })).toBeUndefined();
  mkdirSync(join(home, '.config', 'stalker'), { recursive: true });
  writeFileSync(join(home, '.config', 'stalker', 'engines.hjson'), '{}');
  expect(findSiteFile(undefined, { HOME: home })).toBe(join(home, '.config', 'stalker', 'engines.hjson'));
  expect(findSiteFile(undefined, { HOME: home, STALKER_ENGINES: '/x.hjson' })).toBe('/x.hjson');
  expect(findSiteFile('/flag.hjson', { HOME: home, STALKER_ENGINES: '/x.hjson' })).toBe('/flag.hjson');
});

test('a valid site: engines with defaults, cache read-only unless push', () => {
  const s = loadSite(
    site(`{
    engines: [ { name: "pi", host: "ssh://builder@pi5", platforms: ["linux/arm64"], jobs: 2, push: false } ]
    cache: { registry: "ci.example:5000/team/stalker", push: true }
  }`),
  );
  expect(s.engines).toEqual([{ name: 'pi', backend: 'docker', host: 'ssh://builder@pi5', platforms: ['linux/arm64'], emulates: [], jobs: 2, push: false }]);
  expect(s.cache).toEqual({ registry: { host: 'ci.example:5000', repository: 'team/stalker', scheme: 'https' }, push: true });
  // The engine may not push: this run reads the cache only.
  expect(sharedCacheOf({}, s, s.engines[0])).toEqual({ from: s.cache!.registry });
  expect(sharedCacheOf({}, s, { ...s.engines[0], push: true })).toEqual({ from: s.cache!.registry, to: s.cache!.registry });
  expect(sharedCacheOf({ 'cache-from': '127.0.0.1:5000/x' }, s, s.engines[0])?.from?.host).toBe('127.0.0.1:5000');
  expect(sharedCacheOf({})).toBeUndefined();
});

test('problems are positioned: unknown keys, bad hosts, duplicate names, bad registry', () => {
  const file = site(`{
  engines: [
    { name: "a", host: "unix:///run/docker.sock", platforms: ["linux/amd64"] }
    { name: "a", host: "docker.example:2375", jobz: 2 }
  ]
  cache: { registry: "no-namespace:5000" }
}`);
  const problems = problemsOf(file);
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^4:\d+ unknown key "jobz" in engines\[1\].*did you mean "jobs"/),
      expect.stringMatching(/^4:\d+ engines\[1\]\.host: "docker.example:2375" must match/),
    ]),
  );
  // Meaning is checked once the shape is right.
  const second = site(`{
  engines: [
    { name: "a", host: "unix:///run/docker.sock" }
    { name: "a", host: "ssh://b", platforms: ["linux/arm64"], emulates: ["linux/arm64"] }
  ]
  cache: { registry: "no-namespace:5000" }
}`);
  expect(problemsOf(second)).toEqual([
    expect.stringMatching(/^4:13 engine name "a" used twice/),
    expect.stringMatching(/^4:\d+ engine a: linux\/arm64 is both native and emulated/),
    expect.stringMatching(/^6:\d+ cache.registry no-namespace:5000: expected HOST/),
  ]);
});

test('several engines: each opened under its name, push rights per engine; one kind per site', () => {
  const file = site(`{ engines: [
    { name: "a", host: "unix:///a.sock", platforms: ["linux/amd64"] }
    { name: "b", host: "unix:///b.sock", platforms: ["linux/arm64"], jobs: 3, push: false }
  ], cache: { registry: "127.0.0.1:5000/s", push: true } }`);
  const opened = openSite({ engines: file });
  expect(opened.site?.engines.map((e) => [e.name, e.where, e.platforms, e.jobs, e.push])).toEqual([
    ['a', 'unix:///a.sock', ['linux/amd64'], undefined, true],
    ['b', 'unix:///b.sock', ['linux/arm64'], 3, false],
  ]);
  expect(opened.cache?.to?.repository).toBe('s');
  const one = openSite({ engines: site('{ engines: [ { name: "b", host: "unix:///tmp/b.sock" } ], cache: { registry: "127.0.0.1:5000/s" } }') });
  expect(one.declared?.name).toBe('b');
  expect(one.cache).toEqual({ from: { host: '127.0.0.1:5000', repository: 's', scheme: 'http' } });
  // Rootless backends: local, on a store, no host; never mixed with docker (keys name the executor).
  const rootless = loadSite(site('{ engines: [ { name: "me", engine: "userns", store: "/srv/store", platforms: ["linux/amd64"] } ] }'));
  expect(rootless.engines[0]).toMatchObject({ backend: 'userns', store: '/srv/store' });
  expect(
    problemsOf(
      site(`{ engines: [
    { name: "a", host: "unix:///a.sock" }
    { name: "b", engine: "userns", host: "unix:///b.sock" }
    { name: "c" }
  ] }`),
    ),
  ).toEqual([
    expect.stringMatching(/^3:\d+ engine b: userns, while engines\[0\] is docker/),
    expect.stringMatching(/^3:\d+ engine b: a userns engine is local and has no host/),
    expect.stringMatching(/^4:\d+ engine c: a docker engine needs a host/),
  ]);
});
