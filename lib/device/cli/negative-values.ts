// `sysdb set interface eth0 vlan -1` means the value -1 (refused by the column's range with one
// line), not an option "-1": util.parseArgs would read it as one and print the whole usage. Words
// that are negative numbers are marked before parsing and unmarked after.
const MARK = '\u0000';

export const protectNegatives = (argv: string[]): string[] => argv.map((a) => (/^-\d/.test(a) ? MARK + a : a));

export const unmark = (word: string): string => (word.startsWith(MARK) ? word.slice(MARK.length) : word);
