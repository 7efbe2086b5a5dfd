// JSON Schema (draft-07, ajv) of a writer node's own keys, for the engine to merge into the tree
// schema next to kind/from/needs. Mirrors WriterConfig in writer-options.ts.
const size = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*[a-zA-Z]*\\s*$' }] };

export const writerConfigSchema = {
  type: 'object',
  required: ['output'],
  properties: {
    output: { type: 'string', minLength: 1, description: 'image path, e.g. out/raspi.img' },
    hostname: { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$', default: 'raspi' },
    compression: { enum: ['none', 'zstd', 'xz'], default: 'none' },
    resolvConf: { type: 'string' },
    // seconds since 1970 (>= 1980: FAT); a string so that "{{ source_date_epoch }}" can carry it
    sourceDateEpoch: { anyOf: [{ type: 'integer', minimum: 315532800 }, { type: 'string', pattern: '^\\s*(\\d+|\\{\\{[^}]*\\}\\})\\s*$' }] },
    layout: {
      type: 'object',
      additionalProperties: false,
      properties: {
        table: { enum: ['mbr', 'gpt'], default: 'mbr' },
        alignment: { ...size, default: '4MiB' },
        reference: { enum: ['partuuid', 'label', 'uuid'], default: 'partuuid' },
        boot: {
          type: 'object',
          additionalProperties: false,
          properties: {
            size: { ...size, default: '256MiB' },
            label: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,11}$', default: 'RASPIFIRM' },
            fat: { enum: [16, 32], default: 32 },
            mountPoint: { type: 'string', pattern: '^/.+', default: '/boot/firmware' },
          },
        },
        root: {
          type: 'object',
          additionalProperties: false,
          properties: {
            size: size,
            headroom: { anyOf: [size, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$' }], default: '256MiB' },
            label: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,16}$', default: 'RASPIROOT' },
          },
        },
      },
    },
  },
} as const;
