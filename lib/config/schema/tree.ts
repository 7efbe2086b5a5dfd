// JSON Schema (draft-07) of a tree file (trees/<name>/<name>.hjson): what the loader validates with (ajv,
// allErrors) and what the config's raw types are derived from (raw-types.ts). The file editors use,
// tree.schema.json beside this one, is generated from it: `npm run schema`.
export const treeSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://stalker.local/schema/tree.schema.json',
  title: 'stalker tree',
  description:
    "A tree of nodes (trees/<name>/<name>.hjson). Each node runs one stalk's steps on top of its parent's final image; roots start from a bootstrap, writer nodes turn their input into an image file.",
  type: 'object',
  additionalProperties: false,
  required: ['stalks'],
  properties: {
    $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
    repository: {
      type: 'string',
      description: 'Image repository prefix: images are tagged <repository>/<node>:<step>. Default "stalker".',
    },
    platform: { $ref: '#/definitions/platform' },
    vars: {
      $ref: '#/definitions/vars',
      description:
        'Tree-wide variable values. They reach a node only if its stalk declares the variable; they override stalk defaults and are overridden by node vars.',
    },
    stalks: { $ref: '#/definitions/nodes' },
  },
  definitions: {
    platform: {
      type: 'string',
      pattern: '^linux/[a-z0-9_]+(/[a-z0-9_]+)?$',
      description: 'OCI platform the steps run on, e.g. linux/amd64 (default), linux/arm64, linux/arm/v7. Foreign platforms run under qemu-user binfmt.',
    },
    varName: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    vars: {
      type: 'object',
      propertyNames: { $ref: '#/definitions/varName' },
      additionalProperties: {
        type: ['string', 'number', 'boolean'],
        description: 'Variable value; numbers and booleans become strings.',
      },
    },
    nodes: {
      type: 'object',
      description: 'Map of node name to node. Node names are image name components and file names: ^[a-z0-9][a-z0-9_.-]{0,127}$.',
      additionalProperties: { $ref: '#/definitions/node' },
    },
    node: {
      type: 'object',
      additionalProperties: false,
      properties: {
        stalk: {
          type: 'string',
          description: "Stalk whose steps this node runs (stalks/<stalk>/<stalk>.hjson). Default: the node's name when that stalk exists.",
        },
        from: { type: 'string', description: 'Parent node: this node starts from its final image.' },
        needs: {
          type: 'array',
          items: { type: 'string' },
          uniqueItems: true,
          description: "Nodes that must be built first; their final image ids enter this node's cache keys (fan-in).",
        },
        copy: {
          type: 'array',
          description:
            "Files or directories taken from other nodes' final images before this node's first step (like a multi-stage COPY --from), committed with that step. Each source node becomes one of this node's needs.",
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'src', 'dest'],
            properties: {
              from: { type: 'string', description: 'Node whose final image holds src (any platform).' },
              src: {
                type: 'string',
                description: 'Absolute path in that image: a file, or a directory with everything below it.',
              },
              dest: {
                type: 'string',
                description: 'Absolute path the copy gets in this node (replaced if it exists; missing parent directories are made).',
              },
            },
          },
        },
        vars: {
          $ref: '#/definitions/vars',
          description: "Values for variables declared by this node's stalk (for a writer node: any variable its options use); override tree vars.",
        },
        platform: { $ref: '#/definitions/platform' },
        bootstrap: { $ref: '#/definitions/bootstrap' },
        writer: { $ref: '#/definitions/writer' },
        children: {
          $ref: '#/definitions/nodes',
          description: "Nested nodes: sugar for child nodes whose 'from' is this node.",
        },
      },
    },
    bootstrap: {
      type: 'object',
      description: 'How a root node gets its first image.',
      discriminator: { propertyName: 'kind' },
      required: ['kind'],
      properties: { kind: { type: 'string', description: 'debootstrap | tarball | image' } },
      oneOf: [
        {
          additionalProperties: false,
          required: ['suite'],
          properties: {
            kind: { const: 'debootstrap', description: 'Build a Debian root with mmdebstrap.' },
            suite: { type: 'string', description: 'Debian suite, e.g. bookworm.' },
            arch: {
              type: 'string',
              description: 'Debian architecture; default derived from the platform (amd64, arm64, armhf).',
            },
            variant: { type: 'string', description: 'mmdebstrap variant; default minbase.' },
            components: { type: 'array', items: { type: 'string' }, description: 'Archive components; default [main].' },
            include: { type: 'array', items: { type: 'string' }, description: 'Extra packages to install.' },
            mirror: { type: 'string', description: 'Debian mirror; default http://deb.debian.org/debian.' },
          },
        },
        {
          additionalProperties: false,
          required: ['file', 'sha256'],
          properties: {
            kind: { const: 'tarball', description: 'Import a root filesystem tarball.' },
            file: { type: 'string', description: "Tarball path, relative to the tree file's directory." },
            sha256: {
              type: 'string',
              pattern: '^[0-9a-f]{64}$',
              description: 'sha256 of the tarball: 64 lowercase hex digits.',
            },
          },
        },
        {
          additionalProperties: false,
          required: ['ref'],
          properties: {
            kind: { const: 'image', description: 'Start from an image already in the engine.' },
            ref: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$', description: 'Image id: sha256:<64 hex>.' },
          },
        },
      ],
    },
    // the writer's own schema (lib/writer/writer-schema.ts) checks this block after {{ var }}
    // substitution; the editor file embeds it here (editor-schemas.ts)
    writer: { type: 'object' },
  },
} as const;
