// Escaping for the HTML and SVG the reports write by hand: every name and log line from a build
// goes through here before it reaches markup.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]);

export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Fill colors by outcome, shared by the DAG picture and the timeline. */
export const FILL = {
  done: '#4caf50',
  cached: '#64b5f6',
  failed: '#e53935',
  running: '#ffb300',
  skipped: '#bdbdbd',
  pending: '#e0e0e0',
  run: '#ffb300',
  blocked: '#bdbdbd',
} as const;
export type FillKey = keyof typeof FILL;
