import { spawn } from 'node:child_process';
import { runTool } from './run-tool.js';
import { WriterError } from './writer-error.js';

export interface TreeUsage {
  /** Bytes the files take in 4 KiB blocks (hardlinks counted once). */
  blockBytes: number;
  entries: number;
  directories: number;
}

export interface TreeScan {
  root: TreeUsage;
  boot: TreeUsage;
}

const BLOCK = 4096;
const blocks = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/**
 * One pass of GNU find over the unpacked tree: C-speed stat of tens of thousands of entries with
 * constant memory here (records are parsed as they stream, only hardlinked inodes are remembered).
 */
export function scanTree(dir: string, bootPrefix: string): Promise<TreeScan> {
  const empty = (): TreeUsage => ({ blockBytes: 0, entries: 0, directories: 0 });
  const scan: TreeScan = { root: empty(), boot: empty() };
  const seenLinks = new Set<string>();
  const prefix = bootPrefix.replace(/^\/+|\/+$/g, '');
  return new Promise((resolve, reject) => {
    const find = spawn('find', [dir, '-mindepth', '1', '-printf', '%y %s %i %n %P\\0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    let stderr = '';
    const take = (rec: string) => {
      const m = /^(\S) (\d+) (\d+) (\d+) (.*)$/s.exec(rec);
      if (!m) return;
      const [, type, size, ino, links, path] = m;
      const inBoot = path === prefix || path!.startsWith(`${prefix}/`);
      const u = inBoot && path !== prefix ? scan.boot : scan.root;
      u.entries++;
      if (type === 'd') {
        u.directories++;
        u.blockBytes += Math.max(BLOCK, blocks(Number(size)));
        return;
      }
      if (type === 'f') {
        if (Number(links) > 1) {
          if (seenLinks.has(ino!)) return;
          seenLinks.add(ino!);
        }
        u.blockBytes += blocks(Number(size));
      } else if (type === 'l' && Number(size) >= 60) u.blockBytes += BLOCK; // short targets live in the inode
    };
    find.stdout.setEncoding('utf8').on('data', (d: string) => {
      const recs = (rest + d).split('\0');
      rest = recs.pop()!;
      recs.forEach(take);
    });
    find.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    find.on('error', reject);
    find.on('close', (code) =>
      code === 0 ? resolve(scan) : reject(new WriterError('WRITER_TOOL', `find over the unpacked rootfs failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

/** Clamps every timestamp newer than epoch to epoch, as SOURCE_DATE_EPOCH asks. */
export async function clampMtimes(dir: string, epoch: number): Promise<void> {
  await runTool('find', [dir, '-newermt', `@${epoch}`, '-exec', 'touch', '-h', '-c', '-d', `@${epoch}`, '{}', '+']);
}
