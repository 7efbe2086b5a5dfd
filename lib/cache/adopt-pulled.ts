// A pulled step image made this engine's own: the registry's image carries the labels of the run
// that built it on another machine (its run id, tree, pid, the parent image id of that engine),
// which the sweep, prune and `stalker logs` would take for facts about this one. Its config is
// rewritten (the same layers, so the same files: what a writer reads and the key promises) with
// the labels of labels.ts's pulledLabels, created now, a history line naming the pull, and the
// pulled image itself dropped: one image per key here, and it says it was pulled.
import { createHash } from 'node:crypto';
import type { Engine, ImageDetails } from '../engine/engine-port.js';
import { pulledLabels, type Owner } from '../engine/labels.js';
import { imageRepo, type RegistryAddress } from './registry-address.js';
import { imageConfig } from './registry-client.js';

interface Config {
  created?: string;
  config?: { Labels?: Record<string, string> | null };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  // Docker's record of the builder's commit container: it names a container that is not here.
  container?: unknown;
  container_config?: unknown;
}

/** The pulled image `image` (from `from` by manifest `digest`) under this run's labels; resolves with the new image. */
export async function adoptPulled(
  engine: Engine,
  from: RegistryAddress,
  digest: string,
  image: ImageDetails,
  owner: Pick<Owner, 'run' | 'tree'>,
): Promise<ImageDetails> {
  const reconfigure = engine.images.reconfigure;
  if (!reconfigure) throw new Error(`engine ${engine.kind} cannot rewrite an image's config`);
  const ref = `${imageRepo(from)}@${digest}`;
  const bytes = await imageConfig(from, digest);
  const sha = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  // Only the config of the very image pulled may be rewritten: its rootfs is what the layers are.
  if (sha !== image.id) throw new Error(`${ref}: the registry's config (${sha.slice(0, 19)}) is not the pulled image's (${image.id.slice(0, 19)})`);
  const { container: _c, container_config: _cc, ...config } = JSON.parse(bytes.toString('utf8')) as Config;
  const created = new Date().toISOString();
  config.created = created;
  config.config = { ...config.config, Labels: pulledLabels(config.config?.Labels ?? {}, owner, ref) };
  config.history = [...(config.history ?? []), { created, created_by: `stalker pull ${ref}`, empty_layer: true }];
  const id = await reconfigure.call(engine.images, image.id, Buffer.from(JSON.stringify(config)));
  // The pull's reference was its only handle (pulled by digest): the builder's labels go with it.
  await engine.images.remove(ref).catch(() => {});
  const adopted = await engine.images.inspect(id);
  if (!adopted) throw new Error(`${ref}: its relabelled image ${id} is not in the engine`);
  return adopted;
}
