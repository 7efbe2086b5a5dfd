// Every flag of the command line, once: its parse type and one help line. Commands list which
// ones they take (commands.ts), so a flag another command owns is refused with that said.
export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** what the value is, in help: `--jobs N` */
  arg?: string;
  /** allowed values, checked before the command starts */
  choices?: readonly string[];
  help: string;
}

export const FLAGS = {
  config: { type: 'string', short: 'c', arg: 'TREE', help: 'the tree: trees/NAME/NAME.hjson (or name it as the first argument: NAME, trees/NAME)' },
  jobs: { type: 'string', short: 'j', arg: 'N', help: 'steps of independent branches running at once, a positive integer (default min(4, cores))' },
  'keep-going': { type: 'boolean', short: 'k', help: 'after a failure, keep building branches that do not depend on it' },
  'no-cache': { type: 'boolean', help: 'ignore every cache hit' },
  rebuild: { type: 'string', multiple: true, arg: 'NODE', help: 'ignore the cache hits of NODE (and so of what follows it); repeatable' },
  verbose: { type: 'boolean', short: 'v', help: 'also print every output line and cache hit' },
  progress: {
    type: 'string',
    arg: 'MODE',
    choices: ['auto', 'tty', 'plain', 'json'],
    help: 'auto (tty on a terminal, else plain), tty (live view), plain (one line per event), json',
  },
  run: { type: 'string', arg: 'ID', help: 'one run: an id or a unique prefix (default: the latest)' },
  follow: { type: 'boolean', short: 'f', help: 'follow the newest run (or --run) while it writes' },
  node: { type: 'string', arg: 'NODE', help: "keep only this node's branch" },
  json: { type: 'boolean', help: 'print JSON instead of text' },
  failed: { type: 'boolean', help: 'the state a failed step left (<repository>/<node>:failed-<step>)' },
  output: { type: 'string', short: 'o', arg: 'PATH', help: 'write here instead of stdout' },
  docker: { type: 'boolean', help: "export: copy the image from the rootless engine's store into the local Docker (skopeo)" },
  oci: { type: 'string', arg: 'DIR', help: 'export: write the image as an OCI image layout into DIR (new or empty): oci-layout, index.json, blobs' },
  format: { type: 'string', arg: 'FORMAT', choices: ['dot', 'svg'], help: 'dot (Graphviz source, default) or svg (runs Graphviz dot)' },
  'older-than': { type: 'string', arg: 'DUR', help: 'spare anything younger: 45s, 30m, 12h, 7d, 2w' },
  tree: { type: 'string', multiple: true, arg: 'NAME', help: 'only images and containers labelled with this tree; repeatable' },
  yes: { type: 'boolean', short: 'y', help: 'do it for real: prune removes (else a dry run), flash writes without the typed confirmation' },
  device: { type: 'string', short: 'd', arg: 'PATH', help: 'the removable device to write' },
  'allow-file': { type: 'boolean', help: 'allow a regular file as the target (tests)' },
  'no-sparse': { type: 'boolean', help: 'write every block, also the holes' },
  'no-verify': { type: 'boolean', help: 'do not read the device back to compare' },
  provision: {
    type: 'string',
    multiple: true,
    arg: 'FILE...',
    help: "then write these files into the card's FAT, read back: stalker-provision.json, rpi-preseed.toml, user-data, network-config, meta-data",
  },
  'cache-from': { type: 'string', arg: 'REG', help: 'read the shared step cache from this registry: HOST:PORT/NAMESPACE (overrides the site file)' },
  'cache-to': { type: 'string', arg: 'REG', help: 'push the steps built here to this registry: HOST:PORT/NAMESPACE (overrides the site file)' },
  engines: { type: 'string', arg: 'FILE', help: 'the site file (engines, shared cache); else STALKER_ENGINES, ~/.config/stalker/engines.hjson' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', short: 'V', help: "stalker's version" },
} as const satisfies Record<string, Flag>;

export type FlagName = keyof typeof FLAGS;

/** `-j, --jobs N` */
export function flagSyntax(name: FlagName): string {
  const f: Flag = FLAGS[name];
  return `${f.short ? `-${f.short}, ` : '    '}--${name}${f.arg ? ` ${f.arg}` : ''}`;
}
