// Throwaway stalker projects for tests: a temp dir with trees/, stalks/, sysroot/ written from a
// map of relative path -> content.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TestProject {
  root: string;
  tree: string;
  write(path: string, content: string): void;
  cleanup(): void;
}

export function makeProject(treeName: string, files: Record<string, string>): TestProject {
  const root = mkdtempSync(join(tmpdir(), 'stalker-proj-'));
  const write = (path: string, content: string) => {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    if (content.startsWith('#!')) chmodSync(full, 0o755);
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { root, tree: join(root, 'trees', treeName, `${treeName}.hjson`), write, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
