// Ctrl-C on the rootless backends (userns, proot), sent to stalker run as an ordinary user, during
// a run step: the step's processes all end, also one in a session of its own (userns: its pid
// namespace dies; proot: the whole process tree is killed, proot being only a tracer), no
// container is left in the store, nothing of the step is committed, exit 130 with one line, and
// a rerun resumes from the cache.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, MAIN, napStep, stepOutput, watchBuild, withToken } from '../support/interrupted-build.js';
import { refs } from '../support/oci-store-read.js';
import { makeProject, type TestProject } from '../support/project.js';
import { chownTo, type RootlessUser, rootlessUser, userDir } from '../support/rootless-user.js';
import { tarballTree } from '../support/tarball-tree.js';

let user: RootlessUser;
let work: string;
const projects: TestProject[] = [];

beforeAll(() => {
  user = rootlessUser();
  work = userDir(user);
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true }); // files of subordinate ids: removed as root
  for (const p of projects) p.cleanup();
});

const CONTAINERS: Record<string, string> = { userns: 'containers', proot: 'proot/containers' };

for (const backend of ['userns', 'proot'] as const) {
  test(`${backend}: Ctrl-C in a run step ends every process of it, leaves no container, exit 130 with one line; the rerun resumes`, async () => {
    const tree = `intr${backend}${process.pid}`;
    const token = `stalker-nap-${backend}-${process.pid}`;
    const store = join(work, backend);
    const p = makeProject(tree, {
      [`trees/${tree}/${tree}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { repository: tree }),
      'stalks/app/app.hjson': `{ steps: [ { name: "first", run: "echo one > /one" }, ${napStep(token)} ] }`,
    });
    projects.push(p);
    chownTo(user, p.root);
    const env = ['env', `HOME=${user.home}`, `STALKER_ENGINE=${backend}`, `STALKER_STORE=${store}`];
    const as = (args: string[]) => watchBuild('runuser', ['-u', user.name, '--', ...env, 'node', MAIN, ...args]);
    const b = as(['--config', p.tree, '--progress', 'json']);
    await b.until(stepOutput('napping'));
    expect(withToken(token)).toHaveLength(2);
    // the signal goes to stalker itself, as a terminal's Ctrl-C does (runuser is only the wrapper)
    const stalker = Number(spawnSync('pgrep', ['-P', String(b.child.pid)], { encoding: 'utf8' }).stdout.trim());

    const { code, ms } = await b.interrupt('SIGINT', stalker);
    expect(code).toBe(130);
    expect(ms).toBeLessThan(20_000);
    expect(b.stderr().trim().split('\n')).toEqual(['stalker: interrupted by SIGINT; a rerun resumes from the cache']);
    expect(await eventually(() => withToken(token).length === 0)).toBe(true);
    expect(readdirSync(join(store, CONTAINERS[backend]))).toEqual([]);
    expect(refs(store).filter((r) => r.endsWith(':nap') || r.includes(':failed-nap'))).toEqual([]);

    p.write('stalks/app/app.hjson', '{ steps: [ { name: "first", run: "echo one > /one" }, { name: "nap", run: "test -f /one" } ] }');
    chownTo(user, p.root);
    const again = as(['--config', p.tree, '--progress', 'json']);
    expect(await new Promise<number | null>((resolve) => again.child.on('exit', resolve))).toBe(0);
    expect(again.events).toContainEqual(expect.objectContaining({ type: 'step-cached', node: 'app', step: 'first' }));
    expect(again.events).toContainEqual(expect.objectContaining({ type: 'step-done', node: 'app', step: 'nap' }));
  }, 240_000);
}
