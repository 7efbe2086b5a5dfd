import type { ResolvedLayout } from './writer-options.js';
import type { SeedIds } from './seed-ids.js';

export interface PartitionRefs {
  boot: string;
  root: string;
}

/** The fstab/cmdline spelling of each partition, matching exactly what the writer puts on disk. */
export function partitionRefs(layout: ResolvedLayout, ids: SeedIds): PartitionRefs {
  switch (layout.reference) {
    case 'label':
      return { boot: `LABEL=${layout.boot.label}`, root: `LABEL=${layout.root.label}` };
    case 'uuid': {
      const v = ids.fatVolumeId.toUpperCase();
      return { boot: `UUID=${v.slice(0, 4)}-${v.slice(4)}`, root: `UUID=${ids.ext4Uuid}` };
    }
    case 'partuuid':
      return layout.table === 'mbr'
        ? { boot: `PARTUUID=${ids.mbrDiskId}-01`, root: `PARTUUID=${ids.mbrDiskId}-02` }
        : { boot: `PARTUUID=${ids.bootPartUuid}`, root: `PARTUUID=${ids.rootPartUuid}` };
  }
}

/** Points root= at the written root partition, adding it when the line has none. */
export function rewriteCmdline(text: string, rootRef: string): string {
  const line = text.replace(/\s+$/, '');
  const next = /(^|\s)root=\S+/.test(line) ? line.replace(/(^|\s)root=\S+/, `$1root=${rootRef}`) : `${line} root=${rootRef}`.trim();
  return `${next}\n`; // the firmware reads only the first line, so it stays one line
}

/** Rewrites the device field of the / and boot entries, appending entries that are missing. */
export function rewriteFstab(text: string, refs: PartitionRefs, bootMount: string): string {
  let sawRoot = false;
  let sawBoot = false;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out = lines.map((line) => {
    const fields = line.trim().split(/\s+/);
    if (line.trim().startsWith('#') || fields.length < 2) return line;
    if (fields[1] === '/') {
      sawRoot = true;
      fields[0] = refs.root;
      return fields.join('\t');
    }
    if (fields[1] === bootMount) {
      sawBoot = true;
      fields[0] = refs.boot;
      return fields.join('\t');
    }
    return line;
  });
  if (!sawRoot) out.push(`${refs.root}\t/\text4\trw,noatime,errors=remount-ro\t0\t1`);
  if (!sawBoot) out.push(`${refs.boot}\t${bootMount}\tvfat\trw,noatime,umask=0077\t0\t2`);
  return `${out.join('\n')}\n`;
}
