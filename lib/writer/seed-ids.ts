import { createHash } from 'node:crypto';

// Every identifier a filesystem tool would otherwise draw at random comes from the node's seed
// (its cache key), so the same input yields the same bytes and a changed input changes them all.
function digest(seed: string, purpose: string): Buffer {
  return createHash('sha256').update(`stalker-writer/v1\0${purpose}\0${seed}`).digest();
}

function uuidFrom(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x40; // shaped as a v4 UUID so tools that validate the form accept it
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface SeedIds {
  /** MBR disk signature, 8 lowercase hex digits, never zero (zero means "none" to firmware). */
  mbrDiskId: string;
  gptDiskGuid: string;
  bootPartUuid: string;
  rootPartUuid: string;
  /** FAT volume serial, 8 hex digits. */
  fatVolumeId: string;
  ext4Uuid: string;
  ext4HashSeed: string;
  /** serialNumber of the image's SBOM: the same image keeps it, another image gets another. */
  sbomSerial: string;
}

export function deriveIds(seed: string): SeedIds {
  let mbr = digest(seed, 'mbr-disk-id').subarray(0, 4).toString('hex');
  if (mbr === '00000000') mbr = '00000001';
  return {
    mbrDiskId: mbr,
    gptDiskGuid: uuidFrom(digest(seed, 'gpt-disk-guid')),
    bootPartUuid: uuidFrom(digest(seed, 'gpt-boot-partuuid')),
    rootPartUuid: uuidFrom(digest(seed, 'gpt-root-partuuid')),
    fatVolumeId: digest(seed, 'fat-volume-id').subarray(0, 4).toString('hex'),
    ext4Uuid: uuidFrom(digest(seed, 'ext4-uuid')),
    ext4HashSeed: uuidFrom(digest(seed, 'ext4-hash-seed')),
    sbomSerial: uuidFrom(digest(seed, 'sbom-serial')),
  };
}
