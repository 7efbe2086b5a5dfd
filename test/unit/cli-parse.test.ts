// The command line is checked before anything runs: commands, flags, values, positionals and the
// tree, named by --config or as buildx names a context.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine, type Parsed } from '../../lib/cli/parse-command-line.js';
import { commandHelp, overview } from '../../lib/cli/help.js';
import { COMMANDS, findCommand } from '../../lib/cli/commands.js';
import { StalkerError } from '../../lib/errors.js';
import { makeProject, type TestProject } from '../support/project.js';

let p: TestProject;
beforeAll(() => {
  p = makeProject('demo', { 'trees/demo/demo.hjson': '{ stalks: {} }\n' });
  mkdirSync(join(p.root, 'sub/deeper'), { recursive: true });
});
afterAll(() => p.cleanup());

const parse = (line: string, cwd = p.root): Parsed => parseCommandLine(line.split(' ').filter(Boolean), cwd);
const run = (line: string, cwd?: string) => {
  const r = parse(line, cwd);
  if (r.kind !== 'run') throw new Error(`not a run: ${r.kind}`);
  return { command: r.command.name, ...r.invocation };
};
function usage(line: string): string {
  try {
    parse(line);
  } catch (e) {
    expect(e).toBeInstanceOf(StalkerError);
    expect((e as StalkerError).code).toBe('USAGE');
    return (e as Error).message.split('\n')[0];
  }
  throw new Error(`no usage error for: ${line}`);
}

describe('the tree, named like a buildx context', () => {
  const file = () => join(p.root, 'trees/demo/demo.hjson');
  test.each(['plan demo', 'plan trees/demo', 'plan trees/demo/demo.hjson', 'plan --config trees/demo/demo.hjson', 'plan -c demo'])('%s', (line) => {
    expect(run(line).flags.config).toBe(file());
  });
  test('by name from a directory below the project, like git', () => {
    expect(run('plan demo', join(p.root, 'sub/deeper')).flags.config).toBe(file());
  });
  test('build is the default command; a tree first means build it', () => {
    expect(run('demo --jobs 2')).toMatchObject({ command: 'build', flags: { config: file(), jobs: '2' } });
    expect(run('--config trees/demo/demo.hjson -k')).toMatchObject({ command: 'build', flags: { 'keep-going': true } });
  });
  test('before a NODE, the first of two arguments is the tree', () => {
    expect(run('explain demo app')).toMatchObject({ command: 'explain', args: ['app'], flags: { config: file() } });
    expect(run('logs app:one --config demo')).toMatchObject({ command: 'logs', args: ['app:one'], flags: { config: file() } });
  });
  test('problems with the tree are said', () => {
    expect(usage('plan demo --config trees/demo/demo.hjson')).toBe(`the tree is given twice: "demo" and --config trees/demo/demo.hjson`);
    expect(usage('plan demi')).toBe('no tree named demi: no trees/demi/demi.hjson here or above (did you mean "demo"?)');
    expect(usage('plan trees/nope')).toBe('no tree at trees/nope: no such file');
    expect(usage('plan')).toBe('no tree given: name it first (stalker plan raspi) or give --config trees/NAME/NAME.hjson');
    expect(usage('logs app')).toBe('no tree given: name it first (stalker logs raspi NODE[:STEP]) or give --config trees/NAME/NAME.hjson');
    expect(usage('explain demo')).toBe('stalker explain demo NODE: NODE is missing after the tree');
  });
  test('a directory without its tree file', () => {
    writeFileSync(join(p.root, 'sub/x'), '');
    expect(usage('plan sub')).toBe('sub is a directory without sub.hjson in it');
    expect(usage('plan /dev/null')).toBe('/dev/null is a character device, not a tree file');
  });
});

describe('usage errors, each before anything starts', () => {
  test.each([
    ['plna demo', 'unknown command "plna" (did you mean "plan"?); not a tree either'],
    ['plan demo --jsn', 'unknown option --jsn (did you mean "--json"?)'],
    ['plan demo --progress plain', 'stalker plan does not take --progress (build does)'],
    ['build demo --json', 'stalker build does not take --json (plan, explain, events do)'],
    ['demo --jobs abc', '--jobs abc: expected a positive integer'],
    ['demo --jobs 0', '--jobs 0: expected a positive integer'],
    ['demo --jobs -3', '--jobs -3: expected a positive integer'],
    ['demo -j -3', '--jobs -3: expected a positive integer'],
    ['demo --jobs=-3', '--jobs -3: expected a positive integer'],
    ['demo --jobs 2.5', '--jobs 2.5: expected a positive integer'],
    ['demo --progress fancy', '--progress fancy: expected one of auto, tty, plain, json'],
    ['demo --progress jsno', '--progress jsno: expected one of auto, tty, plain, json (did you mean "json"?)'],
    ['graph demo --format pdf', '--format pdf: expected one of dot, svg'],
    ['graph demo --format png', '--format png: expected one of dot, svg'],
    ['plan demo extra', 'unexpected argument "extra": stalker plan takes no arguments'],
    ['explain demo app more', 'unexpected argument "more": stalker explain takes NODE'],
    ['explain --config demo', 'stalker explain needs NODE'],
    ['help nope', 'no command "nope"'],
    ['help plna', 'no command "plna" (did you mean "plan"?)'],
    ['version now', 'unexpected argument "now"'],
  ])('%s', (line, message) => {
    expect(usage(line).toLowerCase()).toBe(message.toLowerCase());
  });
});

describe('help and version', () => {
  test('--help, help, help CMD, CMD --help', () => {
    expect(parse('--help')).toEqual({ kind: 'help', command: undefined });
    expect(parse('help')).toEqual({ kind: 'help' });
    expect(parse('help plan')).toEqual({ kind: 'help', command: findCommand('plan') });
    expect(parse('plan --help')).toEqual({ kind: 'help', command: findCommand('plan') });
    expect(parse('logs -h')).toEqual({ kind: 'help', command: findCommand('logs') });
  });
  test('--version, -V and version', () => {
    for (const l of ['--version', '-V', 'version']) expect(parse(l)).toEqual({ kind: 'version' });
  });
  test("a command's help: every flag on one line, exit codes, environment", () => {
    const text = commandHelp(findCommand('build')!);
    expect(text).toMatch(/^usage: stalker \[build\] TREE \[options\]/);
    for (const flag of ['--config TREE', '--jobs N', '--keep-going', '--no-cache', '--rebuild NODE', '--verbose', '--progress MODE', '--help'])
      expect(text.split('\n').filter((l) => l.includes(flag))).toHaveLength(1);
    expect(text).toMatch(/exit codes:\n {2}0 {4}success\n {2}1 {4}a step failed[^\n]*\n {2}130 /);
    expect(text).toMatch(/environment:\n[\s\S]*STALKER_DEBUG=1[\s\S]*STALKER_LOCK_DIR/);
  });
  test('the overview names every command', () => {
    const text = overview();
    for (const c of COMMANDS) expect(text).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[()[\]]/g, '.')}$`, 'm'));
  });
});
