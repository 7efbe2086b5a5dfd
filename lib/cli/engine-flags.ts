// --engine and --store, taken before any command parses its own options: they only choose what
// openEngine() opens (through STALKER_ENGINE and STALKER_STORE, which they override), so every
// command accepts them without knowing of them.
import { StalkerError } from '../errors.js';

const ENGINES = ['docker', 'userns', 'proot'];

export function takeEngineFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--(engine|store)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') throw new StalkerError('USAGE', `--${m[1]} needs a value`);
    if (m[1] === 'engine') {
      if (!ENGINES.includes(value)) throw new StalkerError('USAGE', `--engine ${value}: unknown engine (known: ${ENGINES.join(', ')})`);
      env.STALKER_ENGINE = value;
    } else {
      env.STALKER_STORE = value;
    }
  }
  return rest;
}
