// Writer options are checked at load, from the writer's own schema (lib/writer/writer-schema.ts),
// so a bad option is a positioned problem before anything runs, not a failure when the writer runs.
import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import Hjson from 'hjson';
import type { FromSchema, Same } from '../../lib/config/from-schema.js';
import { editorSchema, schemaPath } from '../../lib/config/editor-schemas.js';
import type { WriterConfig } from '../../lib/writer/writer-options.js';
import { writerConfigSchema } from '../../lib/writer/writer-schema.js';
import { problemLines } from '../support/load-problems.js';
import { makeProject } from '../support/project.js';

const tree = (writer: string) => `{
  stalks: {
    base: { bootstrap: { kind: "image", ref: "sha256:${'0'.repeat(64)}" } }
    img: {
      from: base
      vars: { host: "ok-host" }
      writer: ${writer}
    }
  }
}
`;

async function writerProblems(writer: string): Promise<string[]> {
  const p = makeProject('t', { 'trees/t/t.hjson': tree(writer) });
  try {
    return await problemLines(p.tree, p.root);
  } finally {
    p.cleanup();
  }
}

test('a valid writer block with templates passes', async () => {
  expect(await writerProblems('{ output: "out/x.img", hostname: "{{ host }}", layout: { table: "gpt", alignment: "8MiB", boot: { fat: 16 } } }')).toEqual([]);
});

test.each([
  ['table', '{ output: "o.img", layout: { table: "msdos" } }', 'trees/t/t.hjson:7:44: node "img": writer.layout.table: must be one of "mbr", "gpt"'],
  [
    'negative size',
    '{ output: "o.img", layout: { boot: { size: -5 } } }',
    'trees/t/t.hjson:7:52: node "img": writer.layout.boot.size: -5 is not valid: expected FAT partition size: bytes (an integer >= 0) or a string such as "256MiB"',
  ],
  [
    'alignment not whole MiB',
    '{ output: "o.img", layout: { alignment: 3 } }',
    'trees/t/t.hjson:7:44: node "img": writer.layout.alignment must be a whole number of MiB (>= 1MiB)',
  ],
  ['fat', '{ output: "o.img", layout: { boot: { fat: 12 } } }', 'trees/t/t.hjson:7:52: node "img": writer.layout.boot.fat: must be one of 16, 32'],
  [
    'hostname',
    '{ output: "o.img", hostname: "my_host!" }',
    'trees/t/t.hjson:7:34: node "img": writer.hostname: "my_host!" must match ^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
  ],
  [
    'hostname from a var',
    '{ output: "o.img", hostname: "{{ host }}_x" }',
    'trees/t/t.hjson:7:34: node "img": writer.hostname: "ok-host_x" must match ^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
  ],
  ['compression', '{ output: "o.img", compression: "gzip" }', 'trees/t/t.hjson:7:34: node "img": writer.compression: must be one of "none", "zstd", "xz"'],
  ['missing output', '{ hostname: "h" }', 'trees/t/t.hjson:7:7: node "img": writer: missing required key "output"'],
  ['unknown key', '{ output: "o.img", hostnmae: "h" }', 'trees/t/t.hjson:7:34: unknown key "hostnmae" in node "img": writer (did you mean "hostname"?)'],
  ['unknown key label', '{ output: "o.img", label: "h" }', 'trees/t/t.hjson:7:34: unknown key "label" in node "img": writer'],
])('%s', async (_name, writer, expected) => {
  expect(await writerProblems(writer)).toEqual([expected]);
});

test('every writer problem at once: schema, placeholders and the semantic checks do not hide each other', async () => {
  expect(
    await writerProblems(
      '{ output: "o.img", hostname: "{{ nope }}", compression: "gzip", layout: { alignment: 3, boot: { fat: 12 }, root: { label: "bad label!" } } }',
    ),
  ).toEqual([
    'trees/t/t.hjson:7:45: node "img": writer.hostname: undefined variable "nope": set it in the tree\'s or the node\'s vars',
    'trees/t/t.hjson:7:58: node "img": writer.compression: must be one of "none", "zstd", "xz"',
    'trees/t/t.hjson:7:89: node "img": writer.layout.alignment must be a whole number of MiB (>= 1MiB)',
    'trees/t/t.hjson:7:111: node "img": writer.layout.boot.fat: must be one of 16, 32',
    'trees/t/t.hjson:7:130: node "img": writer.layout.root.label: "bad label!" must match ^[A-Za-z0-9_-]{1,16}$',
  ]);
});

test.each(['tree', 'stalk'] as const)("the %s schema shipped for editors is generated from the loader's (run `npm run schema` when this fails)", (kind) => {
  const shipped = JSON.parse(readFileSync(schemaPath(kind), 'utf8'));
  expect(shipped).toEqual(editorSchema(kind));
  if (kind === 'tree') expect(shipped.definitions.writer.properties.layout.properties.table.anyOf[0]).toEqual({ enum: ['mbr', 'gpt'] });
});

test('the editor schema accepts the shipped trees and refuses a bad writer option', () => {
  const Ajv = AjvModule.default;
  const validate = new Ajv({ allErrors: true, strict: true, discriminator: true, allowUnionTypes: true }).compile(
    JSON.parse(readFileSync(schemaPath('tree'), 'utf8')),
  );
  for (const name of ['raspi', 'hello_world']) {
    const data = Hjson.parse(readFileSync(new URL(`../../trees/${name}/${name}.hjson`, import.meta.url), 'utf8'));
    expect([name, validate(data), validate.errors]).toEqual([name, true, null]);
  }
  const bad = Hjson.parse(tree('{ output: "o.img", compression: "gzip", layout: { table: "msdos" } }'));
  expect(validate(bad)).toBe(false);
  expect(validate.errors?.map((e) => e.instancePath)).toEqual(expect.arrayContaining(['/stalks/img/writer/compression', '/stalks/img/writer/layout/table']));
});

test("WriterConfig (the writer's documented type) is the type the schema describes: they cannot drift", () => {
  // the check is the type: `npm run build` (tsc over test/ too) fails when writer-schema.ts and
  // WriterConfig disagree; change both
  const same: Same<FromSchema<typeof writerConfigSchema>, WriterConfig> = true;
  expect(same).toBe(true);
});
