import { emulatedCpuEnv } from '../../lib/run/emulated-cpu.js';

test('a foreign arm64 step gets a Cortex-A72; a native one, or another platform, gets nothing', () => {
  expect(emulatedCpuEnv('linux/arm64', 'x64', undefined)).toEqual({ QEMU_CPU: 'cortex-a72' });
  expect(emulatedCpuEnv('linux/arm64/v8', 'x64', undefined)).toEqual({ QEMU_CPU: 'cortex-a72' });
  expect(emulatedCpuEnv('linux/arm64', 'arm64', undefined)).toEqual({});
  expect(emulatedCpuEnv('linux/amd64', 'x64', undefined)).toEqual({});
  expect(emulatedCpuEnv('linux/arm/v7', 'x64', undefined)).toEqual({});
});

test('STALKER_QEMU_CPU picks another model, "" keeps qemu\'s default, and a value that could be an option is refused', () => {
  expect(emulatedCpuEnv('linux/arm64', 'x64', 'max')).toEqual({ QEMU_CPU: 'max' });
  expect(emulatedCpuEnv('linux/arm64', 'x64', 'max,sve=off')).toEqual({ QEMU_CPU: 'max,sve=off' });
  expect(emulatedCpuEnv('linux/arm64', 'x64', '')).toEqual({});
  expect(() => emulatedCpuEnv('linux/arm64', 'x64', '-d in_asm')).toThrow(/STALKER_QEMU_CPU "-d in_asm" is not a qemu CPU model/);
});
