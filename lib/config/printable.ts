// Problems quote what users wrote, and what they wrote may be binary garbage: raw control bytes
// would drive the terminal, and a newline would break the one-problem-per-line format that
// editors' problem matchers read. So every such character is shown as an escape instead.

// C0 controls but tab, DEL, C1 controls, bidi overrides/isolates, and U+FFFD (bytes that were not UTF-8)
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\0': '\\0', '\ufffd': '\\ufffd(not UTF-8)' };

// A quoted value can be megabytes long (a file of garbage): a line says what is wrong, it need not
// repeat all of it.
const MAX = 1000;

export function printable(text: string): string {
  const shown = text.length > MAX ? `${text.slice(0, MAX)}… (${text.length - MAX} more characters)` : text;
  return shown.replace(UNPRINTABLE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
