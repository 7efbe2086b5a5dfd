// The CPU that qemu-user emulates for a foreign arm64 step. qemu-user reads QEMU_CPU from the
// environment of every binary the kernel hands it (binfmt_misc), so the step's env file and
// mmdebstrap's environment carry it to every process of the step.
//
// qemu's default model for aarch64 is "max": pointer authentication and SVE. Debian 13 builds its
// arm64 packages with branch protection (PAC instructions in most functions) and glibc 2.41 picks
// SVE string functions when the CPU has SVE; qemu's TCG emulates both expensively. On a Cortex-A72
// (the Pi 4's core: ARMv8.0, no PAuth, no SVE) the PAC instructions are NOPs and glibc takes its
// generic routines. Measured on this host (qemu 7.2, trixie arm64): apt-get -s install 8.4-9.0 s
// against 22-26 s, the debconf frontend's start 4.5 s against 10-13 s, side by side.
//
// Debian's arm64 baseline is ARMv8.0, so the model changes how fast a step runs, not what it
// installs: it is not part of the key. STALKER_QEMU_CPU sets another model ("" for qemu's default).
import { arch as hostArch } from 'node:process';
import { StalkerError } from '../errors.js';

const DEFAULT_CPU: Record<string, string> = { arm64: 'cortex-a72' };

/** The environment that picks the emulated CPU for a step of this platform; empty when native. */
export function emulatedCpuEnv(platform: string, host: string = hostArch, override = process.env.STALKER_QEMU_CPU): Record<string, string> {
  const target = /^linux\/(arm64|aarch64)(\/|$)/.test(platform) ? 'arm64' : undefined;
  if (!target || target === host) return {};
  const cpu = override ?? DEFAULT_CPU[target];
  if (cpu && !/^[a-z0-9][a-z0-9,=._+-]*$/i.test(cpu))
    throw new StalkerError('USAGE', `STALKER_QEMU_CPU "${cpu}" is not a qemu CPU model (e.g. cortex-a72, max)`);
  return cpu ? { QEMU_CPU: cpu } : {};
}
