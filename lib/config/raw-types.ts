// Shapes of the config files as written, after JSON Schema validation: derived from the schemas
// themselves (schema/tree.ts, schema/stalk.ts), so they say exactly what validation accepts.
import type { FromSchema } from './from-schema.js';
import type { stalkSchema } from './schema/stalk.js';
import type { treeSchema } from './schema/tree.js';

export type Scalar = string | number | boolean;

export type RawTree = FromSchema<typeof treeSchema>;
export type RawNode = FromSchema<typeof treeSchema.definitions.node, typeof treeSchema>;
export type RawBootstrap = NonNullable<RawNode['bootstrap']>;
export type RawCopy = NonNullable<RawNode['copy']>[number];

export type RawStalk = FromSchema<typeof stalkSchema>;
export type RawStep = RawStalk['steps'][number];
