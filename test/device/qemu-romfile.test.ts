// Issue 26: the image has no ipxe-qemu, and a virtio-net-pci device that wants its option ROM
// (efi-virtio.rom, shipped by ipxe-qemu) stops QEMU at start: no VM could run. The VMs boot with
// -kernel, never PXE, so the device gets `romfile=` (none). The test host has ipxe-qemu, so it is
// hidden as it is missing on the device: an empty tmpfs over its directory in a private mount
// namespace (QEMU searches it whatever -L says), and a private network namespace for the tap.
import { spawn } from 'node:child_process';
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qemuArgv } from '../../lib/device/agents/qemu-command.js';
import { WFI_KERNEL } from './helpers/vm-guests.js';

jest.setTimeout(20_000);

const IPXE_DIR = '/usr/lib/ipxe/qemu';
const withoutIpxe = (argv: string[]) => [
  'unshare',
  '--mount',
  '--net',
  '--',
  'sh',
  '-c',
  `[ ! -d ${IPXE_DIR} ] || mount -t tmpfs tmpfs ${IPXE_DIR} || exit 99; exec "$@"`,
  'sh',
  ...argv,
];

/** Runs argv for up to ms: its exit code (null: still running then, so killed) and its stderr. */
function runFor(argv: string[], ms: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, stderr });
    });
  });
}

let dir: string;
let argv: string[];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stalker-romfile-'));
  writeFileSync(path.join(dir, 'wfi.bin'), WFI_KERNEL);
  argv = qemuArgv(
    { _uuid: 'u', name: 'vm1', id: 7, vcpus: 1, memory: 32, kernel: path.join(dir, 'wfi.bin') },
    { qemu: 'qemu-system-aarch64', kvm: false, consoleDir: dir, tap: true },
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('the VM NIC asks for no option ROM', () => {
  expect(argv[argv.indexOf('-device') + 1]).toBe('virtio-net-pci,netdev=net0,romfile=');
});

it('the agent command line starts a real qemu with the ipxe-qemu ROMs absent; without romfile= it would not', async () => {
  const withRom = argv.map((a) => a.replace(/,romfile=$/, ''));
  expect(withRom).not.toEqual(argv);
  const hostile = await runFor(withoutIpxe(withRom), 5000);
  expect(hostile.stderr).toContain('failed to find romfile "efi-virtio.rom"');
  expect(hostile.code).toBe(1);

  const ours = await runFor(withoutIpxe(argv), 1500);
  expect(ours.stderr).toBe('');
  expect(ours.code).toBeNull();
});
