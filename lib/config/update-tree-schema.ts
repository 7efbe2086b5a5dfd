// `npm run schema`: rewrites the editor tree schema's writer definition from the writer schema.
import { readFileSync } from 'node:fs';
import { schemaPath } from './schema-check.js';
import { writeTreeSchema } from './tree-schema.js';

const path = schemaPath('tree');
writeTreeSchema(path, JSON.parse(readFileSync(path, 'utf8')));
process.stdout.write(`wrote ${path}\n`);
