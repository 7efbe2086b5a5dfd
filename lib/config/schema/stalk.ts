// JSON Schema (draft-07) of a stalk file (stalks/<name>/<name>.hjson): what the loader validates with (ajv,
// allErrors) and what the config's raw types are derived from (raw-types.ts). The file editors use,
// stalk.schema.json beside this one, is generated from it: `npm run schema`.
export const stalkSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://stalker.local/schema/stalk.schema.json',
  title: 'stalker stalk',
  description: "A stalk (stalks/<name>/<name>.hjson): a linear pipeline of steps, each run in a container from the previous step's image and committed.",
  type: 'object',
  additionalProperties: false,
  required: ['steps'],
  properties: {
    $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
    description: { type: 'string', description: 'What this stalk does.' },
    vars: {
      type: 'object',
      description: 'Variables this stalk uses, with defaults (null: required, the tree must set it). Only these reach the steps and the cache keys.',
      propertyNames: { $ref: '#/definitions/name' },
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
    },
    env: {
      $ref: '#/definitions/env',
      description: 'Container environment for every step; values may use {{var}}.',
    },
    secrets: {
      type: 'array',
      uniqueItems: true,
      items: { $ref: '#/definitions/name' },
      description: 'Host environment variables passed to every step; their values never enter a cache key or an image.',
    },
    files: {
      type: 'array',
      description: 'Files placed in the container: copied into the image before the first step, or bind-mounted read-only in every step.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['src', 'dest'],
        properties: {
          src: { type: 'string', description: "Source file, relative to the stalk's directory." },
          dest: { $ref: '#/definitions/absPath' },
          template: {
            type: 'boolean',
            description: 'Render {{var}} placeholders; default true when src ends in .tmpl.',
          },
          mode: {
            type: 'string',
            pattern: '^0?[0-7]{3}$',
            description: 'Octal mode, e.g. "0644"; default 0755 if the source is executable, else 0644.',
          },
          how: {
            enum: ['copy', 'mount'],
            description: 'copy (default): written into the image before the first step; mount: read-only bind mount in every step, not committed.',
          },
        },
      },
    },
    mounts: {
      type: 'array',
      description: 'Host files or directories bind-mounted in every step (content hashed into the cache key).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['src', 'dest'],
        properties: {
          src: { type: 'string', description: "Host path, absolute or relative to the stalk's directory." },
          dest: { $ref: '#/definitions/absPath' },
          rw: { type: 'boolean', description: 'Mount read-write; default false.' },
        },
      },
    },
    caches: {
      type: 'array',
      description: 'Named cache directories persisted on the host across builds; never committed, never keyed.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'dest'],
        properties: {
          name: {
            type: 'string',
            pattern: '^[a-z0-9][a-z0-9_.-]{0,127}$',
            description: 'Cache name, shared by every stalk using it.',
          },
          dest: { $ref: '#/definitions/absPath' },
        },
      },
    },
    steps: {
      type: 'array',
      minItems: 1,
      description: 'Ordered steps; each is committed as <repository>/<node>:<step>.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Step name, an image tag: ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$.' },
          run: { type: 'string', description: 'Inline script; #!/bin/sh -e is prepended when it has no shebang.' },
          script: { type: 'string', description: 'Script file beside the stalk; its shebang picks the interpreter.' },
          plugin: { type: 'string', description: 'Script file under plugins/; its shebang picks the interpreter.' },
          args: {
            type: 'array',
            items: { type: ['string', 'number', 'boolean'] },
            description: 'Arguments to the script; may use {{var}}.',
          },
          env: {
            $ref: '#/definitions/env',
            description: 'Extra environment for this step; values may use {{var}}.',
          },
          cache: { type: 'boolean', description: 'false: always run this step (and so every later one).' },
        },
      },
    },
  },
  definitions: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    absPath: { type: 'string', pattern: '^/', description: 'Absolute path in the container.' },
    env: {
      type: 'object',
      propertyNames: { $ref: '#/definitions/name' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
  },
} as const;
