// Entry of the device bundle dist/device/stalker-provision.cjs (stalker-provision.service).
import { main } from './provision-main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    console.error(`stalker-provision: unexpected error: ${e.message}`);
    process.exitCode = 1;
  },
);
