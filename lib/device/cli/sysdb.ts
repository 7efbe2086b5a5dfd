import { runSysdb } from './sysdb-main.js';

runSysdb(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
  (code) => { process.exitCode = code; },
  (e: Error) => { console.error(`sysdb: internal error: ${e.stack ?? e.message}`); process.exitCode = 70; },
);
