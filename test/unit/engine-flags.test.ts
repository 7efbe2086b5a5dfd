import { takeEngineFlags } from '../../lib/cli/engine-flags.js';

test('--engine and --store are taken out of argv into the environment openEngine reads', () => {
  const env: NodeJS.ProcessEnv = {};
  expect(takeEngineFlags(['plan', '--engine', 'userns', '--config', 't.hjson', '--store=/s', '--', '--engine', 'x'], env)).toEqual([
    'plan',
    '--config',
    't.hjson',
    '--',
    '--engine',
    'x',
  ]);
  expect(env).toEqual({ STALKER_ENGINE: 'userns', STALKER_STORE: '/s' });
});

test('an unknown engine or a missing value is a usage error', () => {
  expect(() => takeEngineFlags(['--engine', 'podman'], {})).toThrow(/unknown engine/);
  expect(() => takeEngineFlags(['--store'], {})).toThrow(/needs a value/);
});
