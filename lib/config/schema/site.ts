// The site file's schema (what a machine or team builds with: engines, the shared cache). The
// loader validates with it; `npm run schema` writes schema/site.schema.json for editors from it.
export const siteSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://stalker.local/schema/site.schema.json',
  title: 'stalker site file',
  description:
    'What a machine or team has to build with (not part of a tree: trees stay portable). Found by --engines FILE, STALKER_ENGINES, or ~/.config/stalker/engines.hjson.',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: {
      type: 'string',
    },
    engines: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: {
            type: 'string',
            pattern: '^[a-z][a-z0-9_-]*$',
          },
          engine: {
            enum: ['docker', 'userns', 'proot'],
            description: 'The backend (default docker). userns and proot are rootless and local: they take `store`, not `host`.',
          },
          store: {
            type: 'string',
            description: 'userns/proot: the OCI store directory (default: STALKER_STORE, else ~/.local/share/stalker).',
          },
          host: {
            type: 'string',
            pattern: '^(unix|tcp|ssh)://.+$',
            description:
              'docker: a DOCKER_HOST-style address (required): unix:///run/docker.sock, tcp://host:2376 (TLS from DOCKER_CERT_PATH), ssh://user@host.',
          },
          platforms: {
            type: 'array',
            items: {
              $ref: '#/definitions/platform',
            },
            description: 'Platforms it runs natively. Steps of these platforms go to it first.',
          },
          emulates: {
            type: 'array',
            items: {
              $ref: '#/definitions/platform',
            },
            description: 'Platforms it runs under qemu-user binfmt: used only when no engine runs the platform natively.',
          },
          jobs: {
            type: 'integer',
            minimum: 1,
            description: 'Nodes it runs at once (default: --jobs).',
          },
          push: {
            type: 'boolean',
            description: 'May builds on it write to the shared cache (default true).',
          },
        },
      },
    },
    cache: {
      type: 'object',
      additionalProperties: false,
      required: ['registry'],
      properties: {
        registry: {
          type: 'string',
          description: 'HOST[:PORT]/NAMESPACE: one registry repository, tagged by step key.',
        },
        push: {
          type: 'boolean',
          description: 'Write step images to it (CI main: true; pull requests, laptops: false, the default).',
        },
      },
    },
  },
  definitions: {
    platform: {
      type: 'string',
      pattern: '^linux/[a-z0-9_]+(/[a-z0-9_]+)?$',
    },
  },
} as const;
