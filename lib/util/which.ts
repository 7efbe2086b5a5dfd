// The first executable `cmd` on a PATH, as the shell would find it.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function whichOnPath(cmd: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const file = join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
