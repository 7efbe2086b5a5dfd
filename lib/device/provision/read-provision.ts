// The host side (`stalker provision`, `stalker flash --provision`) and the device's first-boot
// program (provision-main.ts) read provisioning files through this one function, so a file the host
// accepts is one the device applies.
import { SysdbError } from '../errors.js';
import { parseState } from '../changes.js';
import { SchemaInfo, type RawSchema } from '../schema.js';
import { isKeepMarker, isSecret } from '../secrets.js';
import { checkValue } from '../values.js';
import { readCloudInit, CLOUD_INIT_FILES } from './cloud-init.js';
import { PRESEED_FILE, readPreseedToml } from './preseed-toml.js';
import { formatProblem, type FormatResult, type ProvisionProblem } from './source.js';
import { HEX_PSK_REFUSED, isHexPsk } from './wifi.js';
import { readStalkerJson, STALKER_FILE } from './stalker-json.js';

export { formatProblem, type ProvisionProblem } from './source.js';

/** Names looked for on the FAT, in precedence order: the first format present is read, the others are not. */
export const PROVISION_FILES: readonly string[] = [STALKER_FILE, PRESEED_FILE, ...CLOUD_INIT_FILES];

/** A file as found on the boot partition: its basename there, and its content. */
export interface ProvisionInput {
  name: string;
  text: string;
}

/**
 * `state` is a Sysdb state document in the `sysdb apply` format (only the tables and columns the
 * files name); `sources` the files it came from; `refused` one "file:line:col: key: reason" line
 * per key that is not honoured.
 */
export interface Provision {
  state: Record<string, unknown>;
  sources: string[];
  refused: string[];
}

export function readProvision(files: ProvisionInput[], raw: RawSchema): { provision?: Provision; problems: ProvisionProblem[] } {
  const schema = new SchemaInfo(raw);
  const unknown = files.filter((f) => !PROVISION_FILES.includes(f.name));
  if (unknown.length)
    return { problems: unknown.map((f) => ({ file: f.name, message: `not a provisioning file (the names read are ${PROVISION_FILES.join(', ')})` })) };
  const named = (n: string) => files.find((f) => f.name === n);
  let result: FormatResult;
  let sources: string[];
  if (named(STALKER_FILE)) {
    sources = [STALKER_FILE];
    result = readStalkerJson(named(STALKER_FILE)!.text, schema);
  } else if (named(PRESEED_FILE)) {
    sources = [PRESEED_FILE];
    result = readPreseedToml(named(PRESEED_FILE)!.text);
  } else if (files.length) {
    sources = CLOUD_INIT_FILES.filter((n) => named(n));
    result = readCloudInit(Object.fromEntries(files.map((f) => [f.name, f.text])));
  } else return { problems: [] };
  refuseHexPsk(schema, result);
  const refused = result.refused.map((r) => formatProblem({ file: r.file, ...r.at, message: `${r.key}: ${r.reason}` }));
  for (const f of files) if (!sources.includes(f.name)) refused.push(`${f.name}: not read: ${sources[0]} takes precedence (${PROVISION_FILES.join(' > ')})`);
  const problems = [...result.problems];
  const state = buildState(schema, result, problems);
  if (!problems.length) {
    // The checks `sysdb apply` makes on the whole document (required columns and the like).
    try {
      parseState(schema, state);
    } catch (e) {
      problems.push({ file: sources[0], message: e instanceof SysdbError ? e.message : String(e) });
    }
  }
  return problems.length ? { problems } : { provision: { state, sources, refused }, problems };
}

/** Every assignment checked on its own, so each bad value is one problem at its own key. */
function buildState(schema: SchemaInfo, result: FormatResult, problems: ProvisionProblem[]): Record<string, unknown> {
  const state: Record<string, Record<string, unknown>> = {};
  const checkedRows = new Set<string>();
  for (const a of result.assignments) {
    const fail = (message: string) => problems.push({ file: a.file, ...a.at, message: `${a.key}: ${message}` });
    let t;
    try {
      t = schema.table(a.table);
      if (a.row !== undefined && !checkedRows.has(`${t.name}/${a.row}`)) {
        checkValue(t, t.columns.get('name')!, a.row);
        checkedRows.add(`${t.name}/${a.row}`);
      }
    } catch (e) {
      fail((e as Error).message);
      continue;
    }
    const table = (state[t.alias] ??= {});
    const row = a.row === undefined ? table : ((table[a.row] as Record<string, unknown> | undefined) ?? (table[a.row] = {}));
    if (!a.column) continue;
    try {
      const column = schema.writableColumn(t, a.column);
      (row as Record<string, unknown>)[a.column] = isSecret(t.name, a.column) && isKeepMarker(a.value) ? a.value : checkValue(t, column, a.value);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  return state;
}

/**
 * Imager writes the Wi-Fi key as the 64-hex PSK it derives. Where the schema's Wifi.passphrase does
 * not take one, the network is refused (a row without its key is no use) and the rest still applies.
 */
function refuseHexPsk(schema: SchemaInfo, result: FormatResult): void {
  const t = schema.tables.get('Wifi');
  const column = t?.columns.get('passphrase');
  if (!t || !column) return;
  for (const a of result.assignments) {
    if (a.table !== 'Wifi' || a.column !== 'passphrase' || !isHexPsk(a.value)) continue;
    try {
      checkValue(t, column, a.value);
    } catch {
      result.refused.push({ file: a.file, key: a.key, reason: HEX_PSK_REFUSED, at: a.at });
      result.assignments = result.assignments.filter((b) => !(b.table === 'Wifi' && b.row === a.row));
    }
  }
}
