// What the VM agent checks before a launch: files QEMU would fail on are an error with the reason.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vmFileProblems } from '../../lib/device/agents/vm-preflight.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stalker-preflight-'));
  writeFileSync(path.join(dir, 'kernel'), 'k');
  writeFileSync(path.join(dir, 'disk.raw'), 'd');
  mkdirSync(path.join(dir, 'a-dir'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vm = (kernel: string | null, disk: string | null) => ({ _uuid: 'u', name: 'vm1', kernel, disk });

it('readable files pass; missing ones, directories and non-files are named with the reason', () => {
  expect(vmFileProblems(vm(path.join(dir, 'kernel'), path.join(dir, 'disk.raw')))).toEqual([]);
  expect(vmFileProblems(vm(null, null))).toEqual([]);
  expect(vmFileProblems(vm(path.join(dir, 'nope'), path.join(dir, 'kernel/x')))).toEqual([
    `kernel ${dir}/nope: no such file`,
    `disk ${dir}/kernel/x: no such file`,
  ]);
  expect(vmFileProblems(vm(path.join(dir, 'a-dir'), null))).toEqual([`kernel ${dir}/a-dir: is a directory`]);
  expect(vmFileProblems(vm('/dev/null', '/dev/null'))).toEqual(['kernel /dev/null: not a file', 'disk /dev/null: not a file or block device']);
});

it('a disk may be a block device (a LUN); a kernel may not', () => {
  if (!existsSync('/dev/loop0')) return;
  expect(vmFileProblems(vm(null, '/dev/loop0'))).toEqual([]);
  expect(vmFileProblems(vm('/dev/loop0', null))).toEqual(['kernel /dev/loop0: not a file']);
});

it('a symlink loop is named as such', () => {
  symlinkSync(path.join(dir, 'loop-b'), path.join(dir, 'loop-a'));
  symlinkSync(path.join(dir, 'loop-a'), path.join(dir, 'loop-b'));
  expect(vmFileProblems(vm(null, path.join(dir, 'loop-a')))).toEqual([`disk ${dir}/loop-a: too many levels of symbolic links`]);
});
