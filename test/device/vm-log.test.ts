// QEMU's output file: bounded while qemu holds it open, and the source of a crash's reason.
import { closeSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { boundVmLog, lastVmLogLine, openVmLog } from '../../lib/device/agents/vm-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stalker-vmlog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('a launch starts the file afresh; over the bound only the newest half stays, and the writer keeps writing at the new end', () => {
  const file = path.join(dir, 'vm1.log');
  writeFileSync(file, 'output of the previous run\n');
  const fd = openVmLog(file);
  try {
    expect(readFileSync(file, 'utf8')).toBe('');
    writeSync(fd, Buffer.alloc(2 << 20, 'x'));
    boundVmLog(file, 1 << 20);
    expect(statSync(file).size).toBe(512 << 10);
    writeSync(fd, '\nqemu-system-aarch64: the end\n');
  } finally {
    closeSync(fd);
  }
  expect(statSync(file).size).toBe((512 << 10) + 30);
  expect(lastVmLogLine(file)).toBe('qemu-system-aarch64: the end');
});

it('the reason is the last line that says something: blank lines and warnings are skipped unless nothing else was said', () => {
  const file = path.join(dir, 'vm1.log');
  writeFileSync(file, 'qemu-system-aarch64: -drive file=/d: Could not open\nqemu-system-aarch64: warning: something minor\n\n  \n');
  expect(lastVmLogLine(file)).toBe('qemu-system-aarch64: -drive file=/d: Could not open');
  writeFileSync(file, 'qemu-system-aarch64: warning: only this\n');
  expect(lastVmLogLine(file)).toBe('qemu-system-aarch64: warning: only this');
  writeFileSync(file, '');
  expect(lastVmLogLine(file)).toBeUndefined();
  expect(lastVmLogLine(path.join(dir, 'none.log'))).toBeUndefined();
  writeFileSync(file, `${'y'.repeat(500)}\n`);
  expect(lastVmLogLine(file)).toHaveLength(240);
});
