import { OvsdbClient } from '../ovsdb/client.js';
import { encodeRow, TableCache, type Row, type Value } from '../ovsdb/datum.js';
import type { Condition, MonitorRequests, TableUpdates } from '../ovsdb/protocol.js';
import type { Change } from '../changes.js';
import { commitChanges, commitWithRetry, selectAll } from '../commit.js';
import { DB_NAME } from '../schema.js';
import { LEVELS, type Level, type Logger } from './log.js';

export interface AgentContext {
  rows(table: string): Row[];
  /** A one-off read of rows the agent does not monitor (the audit agent's anchored entry). */
  select(table: string, where: Condition[]): Promise<Row[]>;
  log: Logger;
  /** True once stop() was called: an agent finishes what it is doing but starts nothing new. */
  stopping(): boolean;
  /** False while the database is unreachable: rows may be stale, so nothing should be started from them. */
  connected(): boolean;
  dryRun: boolean;
  /** Logs the step and, unless dry-running, applies it; a failed step is logged and reported as false. */
  step(description: string, apply: () => Promise<void>): Promise<boolean>;
  /** Writes observed columns back, only when they differ from what the database already holds. */
  observe(table: string, row: Row, values: Record<string, Value>): Promise<void>;
  upsertSingleton(table: string, values: Record<string, Value>): Promise<void>;
  /**
   * Reports why a row's value is refused (undefined: nothing is wrong with it now). The agents
   * reconcile every few seconds; the log gets one line per row and problem, not one per pass.
   */
  reject(table: string, row: string, problem: string | undefined): void;
  /** Writes an audit entry for changes already in the database (made without one); returns its seq. */
  recordAudit(changes: Change[], who: string): Promise<number>;
}

export interface Agent {
  name: string;
  tables: MonitorRequests;
  /** Periodic reconcile even without DB updates: the system drifts (a VM crashes, a link goes down). */
  intervalMs: number;
  reconcile(ctx: AgentContext): Promise<void>;
  /** Sees every monitor update after the initial contents, before the cache applies it. */
  updates?(updates: TableUpdates): void;
  /** Lets an agent ask for a reconcile when the system changes under it (a VM process exits). */
  attach?(kick: () => void): void;
  shutdown?(): Promise<void>;
}

export interface RuntimeOptions {
  remote: string;
  dryRun?: boolean;
  log: Logger;
  print?: (line: string) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const same = (a: Value | undefined, b: Value | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Drives one agent: monitor its tables, reconcile serially on every change and tick, report health. */
export class AgentRuntime {
  private readonly client: OvsdbClient;
  private readonly cache = new TableCache();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastProgress = Date.now();
  private readonly rejected = new Map<string, string>();
  private synced!: () => void;
  private readonly firstSync = new Promise<void>((r) => {
    this.synced = r;
  });

  constructor(
    private readonly agent: Agent,
    private readonly opts: RuntimeOptions,
  ) {
    this.client = new OvsdbClient({ remote: opts.remote, reconnect: !opts.dryRun, minBackoffMs: opts.minBackoffMs, maxBackoffMs: opts.maxBackoffMs });
    this.client.on('disconnected', (e) => {
      opts.log.log('warning', 'database disconnected', { error: e.message });
    });
    this.client.on('connected', () => {
      opts.log.log('info', 'database connected', { remote: opts.remote });
    });
    this.client.on('error', (e) => opts.log.log('debug', 'database connection error', { error: e.message }));
    agent.attach?.(() => this.kick());
  }

  /**
   * Healthy while the agent makes progress: a reconcile completing, or within a pass a step or an
   * observation done. A pass on a loaded board can take longer than the watchdog (twenty ssh
   * sessions starting Node on a 2-core board stretched one past 30 s, and systemd killed a working
   * net agent); every command is bounded (30 s, command-runner.ts), so a minute with no progress at
   * all is a hang. A database outage is not the agent's failure: the
   * client reconnects by itself, and counting it would let database restarts reboot the board
   * (StartLimitAction) though no agent is faulty. While disconnected, nothing is started from
   * possibly stale rows (ctx.connected()).
   */
  healthy(now = Date.now()): boolean {
    return now - this.lastProgress <= Math.max(3 * this.agent.intervalMs, 60_000);
  }

  async start(): Promise<void> {
    const tables = { System: { columns: ['log_level'] }, ...this.agent.tables };
    await this.client.monitor(DB_NAME, tables, (updates, initial) => {
      if (!initial) this.agent.updates?.(updates);
      this.cache.apply(updates, initial);
      this.synced();
      this.kick();
    });
    await this.client.start();
    await this.firstSync;
    await this.settle();
    if (this.opts.dryRun) return;
    (this.opts.print ?? console.log)(`agent ${this.agent.name} ready`);
    this.timer = setInterval(() => this.kick(), this.agent.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.settle();
    await this.agent.shutdown?.();
    this.client.close();
  }

  /** Waits until no reconcile is running or queued. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  kick(): void {
    // A stopped runtime never starts another loop: late timers and child-exit events would act on stale rows.
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const level = this.cache.rows('System')[0]?.log_level as Level | null;
      if (level && LEVELS.includes(level)) this.opts.log.setLevel(level);
      try {
        await this.agent.reconcile(this.context());
      } catch (e) {
        this.opts.log.log('error', 'reconcile failed', { error: (e as Error).message });
      }
      this.forgetGoneRejections();
      this.lastProgress = Date.now();
    } while (this.again && !this.stopped);
  }

  /** A refusal of a row that is gone is forgotten, so the row's return with the same value is logged again. */
  private forgetGoneRejections(): void {
    for (const key of this.rejected.keys()) {
      const [table, row] = key.split('\u0000');
      const rows = this.cache.rows(table);
      if (!rows.length || (row !== '.' && !rows.some((r) => String(r.name) === row))) this.rejected.delete(key);
    }
  }

  private context(): AgentContext {
    const { log, dryRun = false, print = console.log } = this.opts;
    return {
      rows: (t) => this.cache.rows(t),
      select: (t, where) => selectAll(this.client, t, where),
      log,
      stopping: () => this.stopped,
      connected: () => this.client.isConnected,
      dryRun,
      step: async (description, apply) => {
        if (dryRun) {
          print(`plan: ${description}`);
          return true;
        }
        try {
          await apply();
          log.log('info', 'applied', { step: description });
          return true;
        } catch (e) {
          log.log('error', 'step failed', { step: description, error: (e as Error).message });
          return false;
        } finally {
          this.lastProgress = Date.now();
        }
      },
      observe: async (table, row, values) => {
        const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => !same(row[k], v)));
        if (dryRun || !Object.keys(changed).length) return;
        await this.client.transact(DB_NAME, [{ op: 'update', table, where: [['_uuid', '==', ['uuid', row._uuid]]], row: encodeRow(changed) }]);
        this.lastProgress = Date.now();
        log.log('debug', 'observed', { table, row: row.name ?? row._uuid, ...changed });
      },
      reject: (table, row, problem) => {
        const key = `${table}\u0000${row}`;
        if (problem === undefined) this.rejected.delete(key);
        else if (this.rejected.get(key) !== problem) {
          this.rejected.set(key, problem);
          log.log('error', 'value rejected', { table, row, problem });
        }
      },
      recordAudit: async (changes, who) => {
        let seq = 0;
        await commitWithRetry(
          this.client,
          async () => changes,
          async (c, system) => (seq = await commitChanges(this.client, c, who, system, undefined, true)),
        );
        log.log('info', 'audited', { seq, who, changes: changes.length });
        return seq;
      },
      upsertSingleton: async (table, values) => {
        if (dryRun) return;
        const [row] = this.cache.rows(table);
        await this.client.transact(DB_NAME, [
          row
            ? { op: 'update', table, where: [['_uuid', '==', ['uuid', row._uuid]]], row: encodeRow(values) }
            : { op: 'insert', table, row: encodeRow(values) },
        ]);
      },
    };
  }
}
