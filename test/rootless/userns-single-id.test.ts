// A user without a subordinate id range: the userns backend maps root alone, says what that
// costs, builds steps that keep to root's files, and a step chowning to another user fails.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject } from '../support/project.js';
import { chownTo, rootlessUser, SINGLE_USER, stalkerAs, userDir } from '../support/rootless-user.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `rs${process.pid}`;

test('one id mapped: a warning naming the fix, root-only steps build, a chown to 1000 fails', () => {
  const user = rootlessUser(SINGLE_USER);
  const work = userDir(user);
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { repository: TREE }),
    'stalks/app/app.hjson': '{ steps: [ { name: "plain", run: "echo ok > /ok; chown 0:0 /ok" }, { name: "chown", run: "touch /x; chown 1000:1000 /x" } ] }',
  });
  chownTo(user, p.root);
  try {
    const r = stalkerAs(user, join(work, 'store'), ['--config', p.tree, '--progress', 'plain']);
    expect(r.stderr).toMatch(/no subordinate id range for stalker-rl1.*only root is mapped.*usermod --add-subuids/s);
    expect(r.stdout).toMatch(/app:plain done/);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/app:chown.*FAILED|step app:chown failed/s);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(p.root, { recursive: true, force: true });
  }
}, 120_000);
