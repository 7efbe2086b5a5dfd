import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run-tool.js';
import { formatSize } from './sizes.js';
import { WriterError } from './writer-error.js';
import type { PartitionPlan } from './disk-plan.js';

export interface Ext4Spec {
  image: string;
  part: PartitionPlan;
  inodes: number;
  label: string;
  uuid: string;
  hashSeed: string;
  epoch: number;
  content: string;
  workDir: string;
}

// Our own mke2fs.conf, so the host's /etc/mke2fs.conf (features, sizes) cannot change the bytes.
// Features: Debian bookworm's ext4 defaults, which the Pi's 6.x kernels and u-boot read.
const MKE2FS_CONF = `[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	reserved_ratio = 5.0
	lazy_itable_init = 1
[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
`;

/** Inode numbers in use, from dumpe2fs's per-group free ranges. */
export function usedInodes(dump: string): number[] {
  const ipg = Number(/Inodes per group:\s+(\d+)/.exec(dump)?.[1]);
  const groups = [...dump.matchAll(/^Group (\d+):[\s\S]*?^\s+Free inodes: ?(.*)$/gm)];
  if (!ipg || !groups.length) throw new WriterError('WRITER_TOOL', 'cannot read inode groups from dumpe2fs output');
  const used: number[] = [];
  for (const [, g, ranges] of groups) {
    const first = Number(g) * ipg + 1;
    const free = new Uint8Array(ipg);
    for (const r of ranges!
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const [a, b] = r.split('-').map(Number);
      for (let i = a!; i <= (b ?? a)!; i++) free[i - first] = 1;
    }
    for (let i = 0; i < ipg; i++) if (!free[i]) used.push(first + i);
  }
  return used;
}

/**
 * mkfs.ext4 -d writes the filesystem in place inside the image (-E offset). It copies atime and
 * ctime from the unpacked tree, and ctime is the unpack time, which no one can set; a debugfs
 * batch then stamps both with the epoch on every used inode, which is what makes two runs equal.
 */
export async function buildExt4(spec: Ext4Spec): Promise<void> {
  const conf = join(spec.workDir, 'mke2fs.conf');
  await writeFile(conf, MKE2FS_CONF);
  const env = { MKE2FS_CONFIG: conf, E2FSPROGS_FAKE_TIME: String(spec.epoch), TZ: 'UTC' };
  const dev = `${spec.image}?offset=${spec.part.start}`;
  try {
    await runTool(
      'mkfs.ext4',
      [
        '-F',
        '-q',
        '-t',
        'ext4',
        '-L',
        spec.label,
        '-U',
        spec.uuid,
        '-N',
        String(spec.inodes),
        '-E',
        `hash_seed=${spec.hashSeed},offset=${spec.part.start}`,
        '-d',
        spec.content,
        spec.image,
        `${spec.part.size / 1024}k`,
      ],
      { env },
    );
  } catch (err) {
    if (err instanceof WriterError && /Could not allocate|No space|not enough space|inodes/i.test(String(err.details.stderr))) {
      throw new WriterError('WRITER_PARTITION_TOO_SMALL', `root partition (ext4) is full: the rootfs does not fit in ${formatSize(spec.part.size)}`, {
        cause: err,
        details: { partition: 'root', given: spec.part.size },
      });
    }
    throw err;
  }
  const { stdout } = await runTool('dumpe2fs', [dev], { env, keep: 64 * 1024 * 1024 });
  const cmds = usedInodes(stdout)
    .filter((i) => i === 2 || i >= 11)
    .map((i) => `sif <${i}> atime @${spec.epoch}\nsif <${i}> ctime @${spec.epoch}\n`)
    .join('');
  const script = join(spec.workDir, 'debugfs.cmds');
  await writeFile(script, cmds);
  await runTool('debugfs', ['-w', '-f', script, dev], { env, keep: 4096 });
}
