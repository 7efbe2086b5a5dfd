// JSON Schema (draft-07, ajv) of a writer node's `writer` block: the one source for it. The loader
// validates every writer block with it (after {{ var }} substitution) before anything runs, and
// the tree schema shipped for editors embeds it (lib/config/tree-schema.ts; `npm run schema`
// rewrites lib/config/schema/tree.schema.json, and a unit test fails while that file is stale).
// WriterConfig in writer-options.ts is the TypeScript view of the same shape. To add an option,
// add it here and there; resolveLayout's semantic checks (whole MiB alignment) run at load too.
const sizeForms = [
  { type: 'integer', minimum: 0 },
  { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*[a-zA-Z]*\\s*$' },
] as const;
const size = (what: string) => ({ description: `${what}: bytes (an integer >= 0) or a string such as "256MiB"`, anyOf: sizeForms });

export const writerConfigSchema = {
  type: 'object',
  description:
    "Makes this an image-writer node: options for the writer, which reads the root filesystem of the node named by 'from'. Any string may use {{ var }} (the tree's vars, overridden by this node's).",
  additionalProperties: false,
  required: ['output'],
  properties: {
    output: { type: 'string', minLength: 1, description: 'image path, relative to the project root, e.g. out/raspi.img' },
    hostname: {
      type: 'string',
      pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
      default: 'raspi',
      description: 'a host name: letters, digits and inner hyphens, at most 63 (RFC 1123)',
    },
    compression: { enum: ['none', 'zstd', 'xz'], default: 'none', description: 'an extra compressed copy of the image beside it' },
    resolvConf: { type: 'string', description: 'content for /etc/resolv.conf; when absent a Docker-generated one is emptied' },
    // a string so that "{{ source_date_epoch }}" can carry it (checked after the vars are substituted)
    sourceDateEpoch: {
      anyOf: [
        { type: 'integer', minimum: 315532800 },
        { type: 'string', pattern: '^\\s*(\\d+|\\{\\{[^}]*\\}\\})\\s*$' },
      ],
      description: 'clamp for every timestamp in the image (seconds since 1970, at least 1980 for FAT)',
    },
    layout: {
      type: 'object',
      additionalProperties: false,
      properties: {
        table: { enum: ['mbr', 'gpt'], default: 'mbr', description: 'partition table' },
        alignment: { ...size('start and size alignment of partitions, a whole number of MiB'), default: '4MiB' },
        reference: { enum: ['partuuid', 'label', 'uuid'], default: 'partuuid', description: 'how cmdline.txt and /etc/fstab name the partitions' },
        boot: {
          type: 'object',
          additionalProperties: false,
          properties: {
            size: { ...size('FAT partition size'), default: '256MiB' },
            label: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,11}$', default: 'RASPIFIRM', description: 'FAT volume label: 1-11 of A-Z a-z 0-9 _ -' },
            fat: { enum: [16, 32], default: 32, description: 'FAT type' },
            mountPoint: {
              type: 'string',
              pattern: '^/.+',
              default: '/boot/firmware',
              description: "where the root filesystem keeps the boot partition's files",
            },
          },
        },
        root: {
          type: 'object',
          additionalProperties: false,
          properties: {
            size: size('fixed ext4 size (when absent: content + headroom)'),
            headroom: {
              anyOf: [...sizeForms, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$' }],
              default: '256MiB',
              description: 'free space added to the content: bytes, a string such as "256MiB", or "N%"',
            },
            label: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,16}$', default: 'RASPIROOT', description: 'ext4 label: 1-16 of A-Z a-z 0-9 _ -' },
          },
        },
      },
    },
  },
} as const;
