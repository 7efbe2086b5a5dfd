// The CPU model qemu-user emulates for arm64 steps (lib/run/emulated-cpu.ts): the same emulated
// work in trixie's arm64 base (apt resolving an install, the debconf frontend starting: what every
// package install does, in perl and C++), on stalker's Cortex-A72 against qemu's default "max"
// (pointer authentication, SVE), alternating, best of 3 each. BENCH_ONLY=qemucpu runs only this.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ratioLine, timeCommand } from './timing.js';

const ROOT = process.cwd();
const IMAGE = 'raspi/base:final';
const WORK = 'apt-get -s install -q openssh-server >/dev/null && /usr/share/debconf/frontend /bin/true';

function emulated(cpu: string): number {
  return timeCommand('docker', ['run', '--rm', '--platform', 'linux/arm64', '-e', `QEMU_CPU=${cpu}`, IMAGE, 'sh', '-c', WORK]);
}

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'qemucpu') return console.log('qemucpu: not selected (BENCH_ONLY)');
  if (!spawnSync('docker', ['images', '-q', IMAGE], { encoding: 'utf8' }).stdout.trim()) {
    console.log(`qemucpu: building trees/raspi once for ${IMAGE}`);
    timeCommand(join(ROOT, 'bin', 'stalker'), ['--config', join(ROOT, 'trees/raspi/raspi.hjson')]);
  }
  let a72 = Infinity;
  let max = Infinity;
  for (let i = 0; i < 3; i++) {
    a72 = Math.min(a72, emulated('cortex-a72'));
    max = Math.min(max, emulated('max'));
  }
  console.log(ratioLine('emulated apt + debconf start on a Cortex-A72', a72, max, "qemu's max model", 0.6));
}
