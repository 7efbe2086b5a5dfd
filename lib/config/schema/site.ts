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
        required: ['name', 'host'],
        properties: {
          name: {
            type: 'string',
            pattern: '^[a-z][a-z0-9_-]*$',
          },
          host: {
            type: 'string',
            pattern: '^(unix|tcp|ssh)://.+$',
            description: 'A DOCKER_HOST-style address: unix:///run/docker.sock, tcp://host:2376 (TLS from DOCKER_CERT_PATH), ssh://user@host.',
          },
          platforms: {
            type: 'array',
            items: {
              $ref: '#/definitions/platform',
            },
            description: 'Platforms it runs natively.',
          },
          emulates: {
            type: 'array',
            items: {
              $ref: '#/definitions/platform',
            },
            description: 'Platforms it runs under qemu-user binfmt.',
          },
          jobs: {
            type: 'integer',
            minimum: 1,
            description: 'Steps it runs at once.',
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
