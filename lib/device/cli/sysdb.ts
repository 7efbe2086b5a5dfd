import { readFileSync } from 'node:fs';
import { runSysdb } from './sysdb-main.js';

runSysdb(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l), stdin: async () => readFileSync(0, 'utf8') }).then(
  (code) => {
    process.exitCode = code;
  },
  // runSysdb reports its own failures; this is the last resort, still one line and no stack.
  (e: Error) => {
    console.error(`sysdb: internal error: ${e.message}`);
    process.exitCode = 1;
  },
);
