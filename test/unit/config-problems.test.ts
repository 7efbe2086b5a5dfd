// Each bad config gives the right problem at the right place; all problems come in one error.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../lib/errors.js';
import { loadTree } from '../../lib/config/load-tree.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/config/bad');

/** Problems of trees/<name>/<name>.hjson as "relative/file:line:col: message" lines. */
async function problems(name: string): Promise<string[]> {
  const err = await loadTree(join(root, `trees/${name}/${name}.hjson`)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const ce = err as ConfigError;
  expect(ce.code).toBe('CONFIG_INVALID');
  return ce.problems.map((p) => `${p.file.replace(`${root}/`, '')}:${p.line}:${p.col}: ${p.message.replaceAll(`${root}/`, '')}`);
}

test('hjson syntax error with line:col', async () => {
  const p = await problems('syntax');
  expect(p).toHaveLength(1);
  expect(p[0]).toMatch(/^trees\/syntax\/syntax\.hjson:9:3: hjson syntax error: .*"]"/);
});

test('unknown keys in tree and stalk, each with the closest valid key', async () => {
  expect(await problems('unknown_key')).toEqual([
    'stalks/typo_key/typo_key.hjson:5:7: unknown key "scirpt" in steps[0] (did you mean "script"?)',
    'trees/unknown_key/unknown_key.hjson:2:3: unknown key "repositry" (did you mean "repository"?)',
    'trees/unknown_key/unknown_key.hjson:8:9: unknown key "mirrors" in stalks.base.bootstrap (did you mean "mirror"?)',
    'trees/unknown_key/unknown_key.hjson:13:7: unknown key "stalkk" in stalks.app (did you mean "stalk"?)',
  ]);
});

test('wrong types and an unknown bootstrap kind', async () => {
  expect(await problems('wrong_type')).toEqual([
    'trees/wrong_type/wrong_type.hjson:2:3: platform: must be string, got number',
    'trees/wrong_type/wrong_type.hjson:13:7: stalks.app.needs: must be array, got string',
    'trees/wrong_type/wrong_type.hjson:17:9: stalks.gadget.bootstrap: unknown kind "floppy": must be one of debootstrap, tarball, image',
  ]);
});

test('unknown parent, unknown needs, unknown stalk', async () => {
  expect(await problems('unknown_refs')).toEqual([
    'trees/unknown_refs/unknown_refs.hjson:10:7: node "app": unknown parent "bsae" in from (did you mean "base"?)',
    'trees/unknown_refs/unknown_refs.hjson:16:23: node "fan": unknown node "ap" in needs (did you mean "app"?)',
    'trees/unknown_refs/unknown_refs.hjson:20:7: node "lost": unknown stalk "nosuch" (no stalks/nosuch/nosuch.hjson)',
  ]);
});

test('a cycle is printed as a path', async () => {
  expect(await problems('cycle')).toEqual(['trees/cycle/cycle.hjson:13:5: dependency cycle: a -> b -> c -> a']);
});

test('undefined variables name the file, the line and the variable', async () => {
  expect(await problems('undefined_var')).toEqual([
    'stalks/tmpl/conf.tmpl:3:7: undefined variable "missing_var" in template (the stalk declares: name)',
    'stalks/tmpl/tmpl.hjson:6:19: env.GREETING: undefined variable "nmae" (did you mean "name"?) (declare it in this stalk\'s vars)',
    'stalks/tmpl/tmpl.hjson:12:51: step "s" args[1]: undefined variable "other" (declare it in this stalk\'s vars)',
    'trees/undefined_var/undefined_var.hjson:16:49: node "img": writer.hostname: undefined variable "hostnme" (did you mean "hostname"?): set it in the tree\'s or the node\'s vars',
    'trees/undefined_var/undefined_var.hjson:16:78: node "img": writer.resolvConf: invalid placeholder "{{ bad expr }}": expected {{ name }} (a literal "{{" is written \\{{, and "\\\\{{" in a quoted hjson string)',
  ]);
});

test('required vars without value; node var not declared by its stalk', async () => {
  const p = await problems('vars');
  expect(p).toHaveLength(3);
  expect(p[0]).toMatch(/^trees\/vars\/vars\.hjson:12:5: node "app": variable "size" is required by stalk "needy" \(stalks\/needy\/needy\.hjson\) line 4/);
  expect(p[1]).toMatch(/variable "who" is required/);
  expect(p[2]).toBe(
    'trees/vars/vars.hjson:17:9: node "app": variable "whom" is not declared by stalk "needy" (stalks/needy/needy.hjson) (did you mean "who"?)',
  );
});

test('names invalid as image names, tags or file names', async () => {
  const p = await problems('bad_names');
  expect(p).toEqual([
    expect.stringMatching(/^stalks\/badsteps\/badsteps\.hjson:3:7: invalid step name "bad name"/),
    'stalks/badsteps/badsteps.hjson:4:7: step name "final" is reserved (the last step of a node is tagged "final")',
    expect.stringMatching(/^stalks\/badsteps\/badsteps\.hjson:5:7: invalid step name "-dash"/),
    'stalks/badsteps/badsteps.hjson:7:7: duplicate step name "fine"',
    expect.stringMatching(/^trees\/bad_names\/bad_names\.hjson:2:15: invalid repository "Bad\/Repo"/),
    expect.stringMatching(/^trees\/bad_names\/bad_names\.hjson:4:5: invalid node name "Base"/),
    expect.stringMatching(/^trees\/bad_names\/bad_names\.hjson:10:5: invalid node name "a\.\.b": not a valid image name component/),
  ]);
});

test('missing sources: files, mounts, scripts, plugins, shebangs, tarballs; one script kind per step', async () => {
  expect(await problems('missing')).toEqual([
    'stalks/holes/holes.hjson:3:7: file not found: stalks/holes/gone.txt',
    'stalks/holes/holes.hjson:6:7: mount source not found: stalks/holes/no-dir',
    'stalks/holes/holes.hjson:9:18: step "a": script file not found: stalks/holes/absent.sh',
    'stalks/holes/holes.hjson:10:18: step "b": plugin file not found: plugins/absent-plugin.sh',
    'stalks/holes/holes.hjson:11:18: step "c": stalks/holes/noshebang.sh has no shebang (#!) line to pick its interpreter',
    'stalks/holes/holes.hjson:12:5: step "d": needs exactly one of run, script, plugin (has run, script)',
    'stalks/holes/holes.hjson:13:5: step "e": needs exactly one of run, script, plugin',
    'trees/missing/missing.hjson:6:9: node "base": bootstrap tarball not found: trees/missing/nowhere.tar',
  ]);
});

test('node shapes: root without bootstrap, from and bootstrap, platform unlike the parent, writer without from', async () => {
  expect(await problems('shape')).toEqual([
    'trees/shape/shape.hjson:3:5: node "orphan": a root node needs a bootstrap (debootstrap, tarball or image), or give it a parent with from',
    'trees/shape/shape.hjson:15:7: node "both": has both from and bootstrap: a node starts either from its parent or from a bootstrap',
    'trees/shape/shape.hjson:23:7: node "armchild": platform linux/arm64 differs from its parent "base" (linux/amd64)',
    'trees/shape/shape.hjson:26:7: node "img": a writer node needs from (the node whose root filesystem it writes)',
  ]);
});

test('bad sha256 and image id formats', async () => {
  expect(await problems('bad_sha')).toEqual([
    'trees/bad_sha/bad_sha.hjson:7:9: stalks.tar.bootstrap.sha256: "abc123" must match ^[0-9a-f]{64}$',
    'trees/bad_sha/bad_sha.hjson:13:9: stalks.img.bootstrap.ref: "sha256:XYZ" must match ^sha256:[0-9a-f]{64}$',
  ]);
});

test('several problems of different kinds in one run, in file and line order', async () => {
  const p = await problems('many');
  expect(p.map((x) => x.replace(/: .*/, ''))).toEqual([
    'stalks/tmpl/conf.tmpl:3:7',
    'stalks/tmpl/tmpl.hjson:6:19',
    'stalks/tmpl/tmpl.hjson:12:51',
    'trees/many/many.hjson:10:7',
    'trees/many/many.hjson:12:7',
    'trees/many/many.hjson:14:5',
    'trees/many/many.hjson:21:7',
    'trees/many/many.hjson:23:9',
  ]);
  expect(p.join('\n')).toMatch(/unknown parent "nobody"[\s\S]*duplicate key "stalk" \(first at line 11\)/);
  expect(p.join('\n')).toMatch(/unknown parent "nobody"[\s\S]*invalid node name "Upper"[\s\S]*unknown key "colour"[\s\S]*"nope" is not declared/);
});

test('the error message lists every problem as file:line:col, no stack', async () => {
  const err = (await loadTree(join(root, 'trees/cycle/cycle.hjson')).catch((e: unknown) => e)) as ConfigError;
  expect(err.message).toBe(`${join(root, 'trees/cycle/cycle.hjson')}:13:5: dependency cycle: a -> b -> c -> a`);
});

test('a missing tree file is a problem, not a crash', async () => {
  const err = (await loadTree(join(root, 'trees/none/none.hjson')).catch((e: unknown) => e)) as ConfigError;
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.problems[0].message).toBe('file not found');
});

test('copies from other nodes: unknown or own node, relative or root paths, one destination twice, writers, no step, cycles through copies', async () => {
  expect(await problems('copies')).toEqual([
    'trees/copies/copies.hjson:7:55: node "self": copy[0].from: a node cannot copy from itself',
    'trees/copies/copies.hjson:8:55: node "typo": copy[0].from: unknown node "ap" (did you mean "app"?)',
    'trees/copies/copies.hjson:13:29: node "paths": copy[0].src: "relative/a" is not an absolute path',
    'trees/copies/copies.hjson:13:49: node "paths": copy[0].dest: the whole root filesystem cannot be copied: name a file or directory',
    'trees/copies/copies.hjson:15:41: node "paths": copy[2].dest: /y is already the destination of another copy',
    'trees/copies/copies.hjson:18:54: node "img": a writer node copies nothing: copy into the node it writes',
    'trees/copies/copies.hjson:19:43: node "fromimg": copy from writer node "img": copy from the node it writes ("app") instead',
    'trees/copies/copies.hjson:20:126: node "nosteps": copy needs a step to land with: give the node a stalk with at least one step',
    'trees/copies/copies.hjson:22:5: dependency cycle: loop -> loop2 -> loop',
  ]);
});

test('a comment after an unquoted value (part of the value in hjson) gets a hint to quote it', async () => {
  const hint = ' (hjson takes a comment after an unquoted value as part of the value: quote the value)';
  expect(await problems('comment_value')).toEqual([
    `trees/comment_value/comment_value.hjson:2:3: platform: "linux/arm64   # the Pi" must match ^linux/[a-z0-9_]+(/[a-z0-9_]+)?$${hint}`,
    `trees/comment_value/comment_value.hjson:6:9: stalks.base.bootstrap: unknown kind "debootstrap   // mmdebstrap": must be one of debootstrap, tarball, image${hint}`,
  ]);
});
