// `npm run schema`: rewrites the JSON Schema files shipped for editors from the loader's schemas.
import { writeEditorSchema } from './editor-schemas.js';

for (const kind of ['tree', 'stalk', 'site'] as const) process.stdout.write(`wrote ${writeEditorSchema(kind)}\n`);
