import { SysdbError } from '../errors.js';
import type { Row } from '../ovsdb/datum.js';
import { importImage, listImages, removeImage, storeDir } from '../containers/image-store.js';
import { formatTable } from './format-table.js';
import type { Io } from './io.js';

export const IMAGE_USAGE = `  image import DIR NAME | image list | image rm NAME
                                      container images (an OCI layout DIR: docker save of
                                      Docker >= 25, extracted, or skopeo copy ... oci:DIR)`;

/**
 * Over ssh, DIR is on this machine but the store is the device's: the CLI's ssh transport carries
 * text (apply's JSON), not a tar, so import is refused with the way to do it instead.
 */
export function refuseImageOverSsh(rest: string[]): void {
  if (rest[0] === 'import')
    throw new SysdbError('USAGE', 'image import reads DIR on the device: copy it there (scp -r DIR HOST:) and run sysdb image import DIR NAME on the device');
}

/** `busy(name)`: the containers with state run that use the image (Sysdb's Container rows). */
export async function imageVerb(rest: string[], io: Io, busy: (name: string) => Promise<string[]>, store = storeDir()): Promise<number> {
  const [sub, ...args] = rest;
  switch (sub) {
    case 'import': {
      if (args.length !== 2) throw new SysdbError('USAGE', 'usage: sysdb image import DIR NAME');
      if (args[0] === '-') throw new SysdbError('USAGE', 'image import -: a tar on stdin is not supported; give the extracted OCI layout DIR');
      const image = await importImage(store, args[0], args[1], busy);
      io.out(`imported ${image.name} (${image.manifest})`);
      return 0;
    }
    case 'list': {
      if (args.length) throw new SysdbError('USAGE', 'usage: sysdb image list');
      const rows = listImages(store).map((i) => ({
        _uuid: i.name,
        name: i.name,
        command: [...(i.Entrypoint ?? []), ...(i.Cmd ?? [])].join(' ') || null,
        manifest: i.manifest.slice(0, 19),
        imported: i.importedAt,
      })) as Row[];
      io.out(formatTable(['name', 'command', 'manifest', 'imported'], rows));
      return 0;
    }
    case 'rm': {
      if (args.length !== 1) throw new SysdbError('USAGE', 'usage: sysdb image rm NAME');
      await removeImage(store, args[0], busy);
      io.out(`removed image ${args[0]}`);
      return 0;
    }
    default:
      throw new SysdbError('USAGE', 'usage: sysdb image import DIR NAME | image list | image rm NAME');
  }
}
