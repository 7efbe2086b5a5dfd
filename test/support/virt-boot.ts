// A raspi.img booted on qemu-system-aarch64 -M virt with the image's own kernel, initramfs and
// cmdline.txt (only the console swapped for the virt board's UART), the serial console to a file
// the tests poll, guest ports forwarded to loopback, and QMP for the clean power button.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { bootPartition, mcopy } from './raspi-image.js';

export const tail = (text: string, n = 60) => text.split('\n').slice(-n).join('\n');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface VirtKernel {
  kernel: string;
  initrd: string;
  /** cmdline.txt's arguments with the virt board's console, the journal forwarded to it, and `extra`. */
  append: string;
}

/** The kernel and initramfs config.txt names, copied out of the image's FAT into `work`. */
export function virtKernel(image: string, work: string, extra: string[] = []): VirtKernel {
  const boot = bootPartition(image);
  const kernel = join(work, 'vmlinuz');
  const initrd = join(work, 'initrd.img');
  mcopy(boot.fat, boot.kernel, kernel);
  mcopy(boot.fat, boot.initrd, initrd);
  // The journal goes to the console too: systemd stops printing its own status lines once the
  // serial getty is up, and "Reached target multi-user.target" comes after that.
  const args = boot.cmdline.split(/\s+/).filter((a) => !a.startsWith('console='));
  return { kernel, initrd, append: [...args, 'console=ttyAMA0', 'systemd.journald.forward_to_console=1', ...extra].join(' ') };
}

export function exited(p: ChildProcess, ms: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    p.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
}

/** One QMP command over the monitor socket (the clean power button of the virt board). */
export async function qmp(socket: string, command: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    const c = createConnection(socket);
    let buf = '';
    let step = 0;
    c.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('error' in msg) {
          c.destroy();
          rej(new Error(`qmp: ${line}`));
          return;
        }
        if (step === 0 && 'QMP' in msg) {
          step = 1;
          c.write('{"execute":"qmp_capabilities"}\n');
        } else if (step === 1 && 'return' in msg) {
          step = 2;
          c.write(`{"execute":"${command}"}\n`);
        } else if (step === 2 && 'return' in msg) {
          c.end();
          res();
        }
      }
    });
    c.on('error', rej);
  });
}

export interface VirtBoot {
  qemu: ChildProcess;
  /** guest port -> the loopback port forwarded to it */
  ports: Map<number, number>;
  text(): string;
  /** Polls the console until every pattern has matched (in any order), qemu exits or the deadline passes. */
  waitFor(patterns: RegExp[], deadline: number, what: string): Promise<void>;
  powerDown(): Promise<void>;
  /** Ends our qemu (by its pid) if it still runs. */
  kill(): Promise<void>;
}

export async function bootVirt(o: {
  image: string;
  work: string;
  console: string;
  kernel: VirtKernel;
  forward?: number[];
  /** false: the guest writes the image itself (a copy), so a second boot sees what the first one left */
  snapshot?: boolean;
}): Promise<VirtBoot> {
  const ports = new Map<number, number>();
  for (const guest of o.forward ?? []) ports.set(guest, await freePort());
  const fwd = [...ports].map(([guest, host]) => `,hostfwd=tcp:127.0.0.1:${host}-:${guest}`).join('');
  const qmpSocket = join(o.work, 'qmp.sock');
  rmSync(o.console, { force: true });
  const qemu = spawn(
    'qemu-system-aarch64',
    ['-M', 'virt', '-cpu', 'cortex-a72', '-smp', '2', '-m', '1024', '-kernel', o.kernel.kernel, '-initrd', o.kernel.initrd, '-append', o.kernel.append]
      // -snapshot: writes go to a temporary overlay, the image stays as built
      .concat(['-drive', `file=${o.image},format=raw,if=virtio`, ...(o.snapshot === false ? [] : ['-snapshot'])])
      .concat(['-netdev', `user,id=n${fwd}`, '-device', 'virtio-net-pci,netdev=n'])
      .concat(['-display', 'none', '-serial', `file:${o.console}`, '-monitor', 'none', '-qmp', `unix:${qmpSocket},server=on,wait=off`]),
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const text = () => (existsSync(o.console) ? readFileSync(o.console, 'utf8') : '');
  return {
    qemu,
    ports,
    text,
    async waitFor(patterns, deadline, what) {
      for (;;) {
        const now = text();
        const missing = patterns.filter((p) => !p.test(now));
        if (!missing.length) return;
        if (qemu.exitCode !== null || qemu.signalCode !== null)
          throw new Error(`qemu exited while waiting for ${what}; missing ${missing.join(', ')}\n${tail(now)}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; missing ${missing.join(', ')}\nconsole (${o.console}):\n${tail(now)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
    powerDown: () => qmp(qmpSocket, 'system_powerdown'),
    async kill() {
      if (qemu.pid && qemu.exitCode === null && qemu.signalCode === null) {
        process.kill(qemu.pid, 'SIGKILL');
        await exited(qemu, 10_000);
      }
    },
  };
}
