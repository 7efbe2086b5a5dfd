// Wire shapes of RFC 7047, kept loose where the server's schema decides the details.
export type Atom = string | number | boolean | ['uuid', string] | ['named-uuid', string];
export type Datum = Atom | ['set', Atom[]] | ['map', [Atom, Atom][]];
export type WireRow = Record<string, Datum>;
export type Condition = [string, '==' | '!=' | '<' | '<=' | '>' | '>=' | 'includes' | 'excludes', Datum];

export type Operation =
  | { op: 'insert'; table: string; row: WireRow; 'uuid-name'?: string }
  | { op: 'select'; table: string; where: Condition[]; columns?: string[] }
  | { op: 'update'; table: string; where: Condition[]; row: WireRow }
  | { op: 'delete'; table: string; where: Condition[] }
  | { op: 'wait'; table: string; where: Condition[]; columns: string[]; until: '==' | '!='; rows: WireRow[]; timeout?: number }
  | { op: 'comment'; comment: string }
  | { op: 'commit'; durable: boolean };

export type OperationResult = { uuid?: ['uuid', string]; rows?: WireRow[]; count?: number; error?: string; details?: string };

export type MonitorRequests = Record<string, { columns?: string[] }>;
export type TableUpdates = Record<string, Record<string, { old?: WireRow; new?: WireRow }>>;
