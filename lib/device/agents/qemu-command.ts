import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Row } from '../ovsdb/datum.js';

export interface QemuOptions {
  qemu: string;
  /** KVM only helps when the guest architecture is the host's: aarch64 guests on an arm64 board. */
  kvm: boolean;
  consoleDir: string;
  tap: boolean;
}

export function defaultKvm(qemu: string): boolean {
  const guest = /qemu-system-(\w+)/.exec(qemu)?.[1];
  const host = { arm64: 'aarch64', x64: 'x86_64' }[process.arch as string];
  return existsSync('/dev/kvm') && guest === host;
}

/** QEMU's option syntax splits on ","; a literal comma is written ",," (so a value cannot add options). */
export const qemuEscape = (v: string) => v.replaceAll(',', ',,');

/** The marker lets a restarted agent recognise (adopt) a VM it started earlier from /proc/<pid>/cmdline. */
export const vmMarker = (name: string) => `guest=${qemuEscape(name)},process=stalker-vm-${qemuEscape(name)}`;

export function qemuArgv(vm: Row, o: QemuOptions): string[] {
  const name = String(vm.name);
  const argv = [o.qemu, '-name', vmMarker(name), '-machine', 'virt', '-accel', o.kvm ? 'kvm' : 'tcg', '-cpu', o.kvm ? 'host' : 'max'];
  argv.push('-smp', String(vm.vcpus), '-m', String(vm.memory), '-display', 'none', '-nodefaults', '-no-user-config', '-monitor', 'none');
  argv.push('-serial', `unix:${qemuEscape(path.join(o.consoleDir, `${name}.console`))},server=on,wait=off`);
  // -kernel takes a plain file name, not an option list; -drive's file= is escaped.
  if (vm.kernel) argv.push('-kernel', String(vm.kernel));
  if (vm.disk) argv.push('-drive', `file=${qemuEscape(String(vm.disk))},if=virtio,format=${String(vm.disk).endsWith('.qcow2') ? 'qcow2' : 'raw'}`);
  // romfile= (empty): no option ROM. The guests boot with -kernel, never PXE, and without it QEMU
  // needs efi-virtio.rom from ipxe-qemu, which the image does not install.
  if (o.tap) argv.push('-netdev', `tap,id=net0,ifname=vi${vm.id},script=no,downscript=no`, '-device', 'virtio-net-pci,netdev=net0,romfile=');
  return argv;
}
