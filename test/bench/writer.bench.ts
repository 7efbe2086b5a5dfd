// Writer benchmark: stalker's writeImage on a ~1 GB generated rootfs against the raw shell
// pipeline (tar -x, mkfs.vfat -C + mcopy, mkfs.ext4 -d, sfdisk, dd conv=notrunc,sparse) building
// the same layout from the same tar, side by side in one run; plus the writer's peak RSS.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MiB = 1024 * 1024;

function generateRootfs(dir: string, bytes: number): void {
  // incompressible-ish content cut from one pseudo-random pool: realistic sizes, cheap to make
  const pool = Buffer.alloc(8 * MiB);
  for (let i = 0; i * 32 < pool.length; i++)
    createHash('sha256')
      .update(String(i))
      .digest()
      .copy(pool, i * 32);
  let left = bytes;
  let n = 0;
  for (let d = 0; left > 0; d++) {
    const sub = join(dir, 'usr/lib', `pkg${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 40 && left > 0; f++, n++) {
      const size = Math.min(left, [1200, 9000, 30000, 90000, 400000][n % 5]! + ((n * 7919) % 4096));
      const off = (n * 104729) % (pool.length - size);
      writeFileSync(join(sub, `file${f}.so`), pool.subarray(off, off + size));
      left -= size;
    }
  }
  mkdirSync(join(dir, 'boot/firmware/overlays'), { recursive: true });
  writeFileSync(join(dir, 'boot/firmware/config.txt'), 'arm_64bit=1\n');
  writeFileSync(join(dir, 'boot/firmware/cmdline.txt'), 'console=tty1 root=/dev/mmcblk0p2 rootwait\n');
  for (let i = 0; i < 40; i++) writeFileSync(join(dir, `boot/firmware/overlays/o${i}.dtbo`), pool.subarray(i * 1000, i * 1000 + 3000));
  writeFileSync(join(dir, 'boot/firmware/vmlinuz'), pool.subarray(0, 8 * MiB));
  writeFileSync(join(dir, 'boot/firmware/initrd.img'), pool.subarray(MiB, 8 * MiB));
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(dir, 'etc/fstab'), '/dev/mmcblk0p2 / ext4 defaults 0 1\n');
  writeFileSync(join(dir, 'var/lib/dpkg/status'), 'Package: base-files\nStatus: install ok installed\nArchitecture: arm64\nVersion: 12\n');
  execFileSync('find', [dir, '-exec', 'touch', '-h', '-d', '@1700000000', '{}', '+']);
}

interface ChildReport {
  phases: string;
  ms: number;
  hwmKiB: number;
  bootSize: number;
  rootSize: number;
  totalSize: number;
  checksumMs: number;
  cleanupMs: number;
}

/** The writer in its own process, so VmHWM is the writer's alone. */
function runWriterChild(tar: string, output: string): Promise<ChildReport & { wallMs: number }> {
  const mod = new URL('../../lib/writer/write-image.js', import.meta.url).href;
  const code = `
    import { createReadStream, readFileSync } from 'node:fs';
    const { writeImage } = await import(${JSON.stringify(mod)});
    const t0 = Date.now(); let checksumMs = 0; let cleanupMs = 0; const phases = [];
    const r = await writeImage(createReadStream(${JSON.stringify(tar)}), { output: ${JSON.stringify(output)}, seed: 'bench', hostname: 'bench', sourceDateEpoch: 1700000000 },
      (e) => { if (e.type !== 'writer:phase') return; phases.push(e.phase + ' ' + (e.ms / 1000).toFixed(2) + 's'); if (e.phase === 'checksum') checksumMs = e.ms; if (e.phase === 'cleanup') cleanupMs = e.ms; });
    const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    console.log(JSON.stringify({ phases: phases.join(', '), ms: Date.now() - t0, hwmKiB: hwm, bootSize: r.plan.boot.size, rootSize: r.plan.root.size, totalSize: r.plan.totalSize, checksumMs, cleanupMs }));
  `;
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (c) =>
      c === 0 ? resolve({ ...JSON.parse(out.trim().split('\n').pop()!), wallMs: Date.now() - t0 }) : reject(new Error(`writer child exited ${c}`)),
    );
  });
}

const BASELINE = `set -euo pipefail
tar=$1 img=$2 work=$3 boot=$4 rootsz=$5 total=$6
now() { date +%s%N; }
t0=$(now)
mkdir -p "$work/root"
tar -x -f "$tar" -C "$work/root" --numeric-owner --same-owner --xattrs --xattrs-include='*'
mv "$work/root/boot/firmware" "$work/boot" && mkdir "$work/root/boot/firmware"
truncate -s "$total" "$img"
printf 'label: dos\\nunit: sectors\\n\\nstart=8192, size=%d, type=c, bootable\\nstart=%d, size=%d, type=83\\n' $((boot/512)) $((8192+boot/512)) $((rootsz/512)) | sfdisk -q --no-reread --no-tell-kernel "$img"
mkfs.vfat -F 32 -n RASPIFIRM -C "$work/boot.part" $((boot/1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -i "$work/boot.part" "$work"/boot/* ::/
mkfs.ext4 -q -F -L RASPIROOT -d "$work/root" "$work/root.part" $((rootsz/1024))k
dd if="$work/boot.part" of="$img" bs=4M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.part" of="$img" bs=4M seek=$((1+boot/4194304)) conv=notrunc,sparse status=none
sync -f "$img"
t1=$(now)
sha256sum "$img" > "$img.sha256"
rm -rf "$work"
t2=$(now)
echo "$(( (t1-t0)/1000000 )) $(( (t2-t0)/1000000 ))"
`;

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'writer') return console.log('writer: not selected (BENCH_ONLY)');
  const dir = mkdtempSync(join(tmpdir(), 'stalker-writer-bench-'));
  try {
    const src = join(dir, 'src');
    generateRootfs(src, 1024 * MiB);
    const tar = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-c', '-f', tar, '--numeric-owner', '-C', src, '.']);
    rmSync(src, { recursive: true, force: true });

    const w = await runWriterChild(tar, join(dir, 'out/stalker.img'));
    rmSync(join(dir, 'out'), { recursive: true, force: true }); // keep the disk free for the baseline

    const t0 = Date.now();
    const [coreMs, allMs] = execFileSync(
      'bash',
      ['-c', BASELINE, 'baseline', tar, join(dir, 'raw.img'), join(dir, 'raw-work'), String(w.bootSize), String(w.rootSize), String(w.totalSize)],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .pop()!
      .split(' ')
      .map(Number);
    const rawWall = Date.now() - t0;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
    console.log(
      `writer 1GB rootfs: stalker ${s(w.wallMs)} vs raw shell ${s(rawWall)} = ${(w.wallMs / rawWall).toFixed(2)}x (goal <= 1.2x; both from the same tar, both incl. sha256 + cleanup)`,
    );
    const core = w.wallMs - w.checksumMs - w.cleanupMs;
    console.log(
      `writer 1GB rootfs without sha256 and cleanup: stalker ${s(core)} vs raw shell ${s(coreMs!)} = ${(core / coreMs!).toFixed(2)}x (raw with them ${s(allMs!)})`,
    );
    console.log(`writer phases: ${w.phases}`);
    console.log(`writer peak RSS: ${Math.round(w.hwmKiB / 1024)} MB (goal <= 200 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
