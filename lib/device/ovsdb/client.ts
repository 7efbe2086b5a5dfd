import type net from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { SysdbError } from '../errors.js';
import { JsonStreamSplitter } from './json-stream.js';
import { connectRemote, formatRemote, parseRemote, sshRemoteRefused, type Remote } from './remote.js';
import type { MonitorRequests, Operation, OperationResult, TableUpdates } from './protocol.js';

export interface ClientOptions {
  remote: string;
  /** Keep retrying with backoff when the server is absent or goes away (agents); the CLI fails fast. */
  reconnect?: boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per request (and per connection attempt): a stopped server or a lost reply must not hang the caller. */
  timeoutMs?: number;
  /** Largest message accepted from the server. */
  maxMessageBytes?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

type UpdateHandler = (updates: TableUpdates, initial: boolean) => void;
interface Monitor {
  db: string;
  requests: MonitorRequests;
  onUpdate: UpdateHandler;
}
interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  method: string;
  timer?: NodeJS.Timeout;
}
interface Events {
  connected: [];
  disconnected: [Error];
  error: [Error];
}

/** RFC 7047 client: requests, server echo replies, monitors that are re-established after a reconnect. */
export class OvsdbClient extends EventEmitter<Events> {
  private readonly remote: Exclude<Remote, { kind: 'ssh' }>;
  private socket: net.Socket | undefined;
  private connected = false;
  private closed = false;
  private nextId = 1;
  private backoff: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly monitors = new Map<string, Monitor>();

  constructor(private readonly options: ClientOptions) {
    super();
    const remote = parseRemote(options.remote);
    // ssh:// is the CLI's (it runs sysdb on the device); an agent given one fails here, not on every retry.
    if (remote.kind === 'ssh') throw sshRemoteRefused(remote);
    this.remote = remote;
    this.backoff = options.minBackoffMs ?? 100;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves on the first successful connection; without reconnect, rejects if that fails. */
  async start(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = this.options.reconnect
        ? undefined
        : setTimeout(() => {
            onError(new SysdbError('TIMEOUT', `no connection to ${formatRemote(this.remote)} after ${timeoutMs} ms`));
            this.close();
          }, timeoutMs);
      const onConnected = () => {
        clearTimeout(timer);
        this.off('error', onError);
        resolve();
      };
      const onError = (e: Error) => {
        if (this.options.reconnect) return;
        clearTimeout(timer);
        this.off('connected', onConnected);
        this.off('error', onError);
        reject(e);
      };
      this.once('connected', onConnected);
      this.on('error', onError);
      this.open();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.destroy();
  }

  request(method: string, params: unknown[]): Promise<unknown> {
    const socket = this.socket;
    if (!this.connected || !socket) {
      return Promise.reject(new SysdbError('DISCONNECTED', `not connected to ${formatRemote(this.remote)}`));
    }
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SysdbError('TIMEOUT', `${method}: no reply from ${formatRemote(this.remote)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, method, timer });
      socket.write(JSON.stringify({ method, params, id }));
    });
  }

  echo(payload: unknown[] = ['ping']): Promise<unknown> {
    return this.request('echo', payload);
  }

  getSchema(db: string): Promise<unknown> {
    return this.request('get_schema', [db]);
  }

  /** Runs ops atomically; any failed op (or commit error) throws with the server's error and details. */
  async transact(db: string, ops: Operation[]): Promise<OperationResult[]> {
    const results = (await this.request('transact', [db, ...ops])) as OperationResult[];
    const failed = Array.isArray(results) ? results.findIndex((r) => isObject(r) && 'error' in r && r.error) : -1;
    const upTo = failed >= 0 ? failed : ops.length;
    if (!Array.isArray(results) || results.length < upTo || results.slice(0, upTo).some((r) => !isObject(r))) {
      throw new SysdbError('BAD_REPLY', 'transact: malformed reply (expected one result object per operation)');
    }
    if (failed >= 0) {
      const r = results[failed] as { error: string; details?: string };
      const op = failed < ops.length ? ` (operation ${failed + 1}: ${ops[failed].op})` : '';
      // A failed wait is another writer having moved the audit head: a conflict worth retrying.
      const code = failed < ops.length && ops[failed].op === 'wait' ? 'CONFLICT' : 'TRANSACTION_FAILED';
      throw new SysdbError(code, `${r.error}${op}${r.details ? `: ${r.details}` : ''}`);
    }
    return results;
  }

  /** The handler first sees the initial contents (initial=true), again after every reconnect. */
  async monitor(db: string, requests: MonitorRequests, onUpdate: UpdateHandler): Promise<string> {
    const id = `m${this.nextId++}`;
    const monitor = { db, requests, onUpdate };
    this.monitors.set(id, monitor);
    if (this.connected) await this.sendMonitor(id, monitor);
    return id;
  }

  async cancelMonitor(id: string): Promise<void> {
    this.monitors.delete(id);
    if (this.connected) await this.request('monitor_cancel', [id]);
  }

  private async sendMonitor(id: string, m: Monitor): Promise<void> {
    const initial = (await this.request('monitor', [m.db, id, m.requests])) as TableUpdates;
    if (!isObject(initial)) throw new SysdbError('BAD_REPLY', 'monitor: malformed reply (not an object of tables)');
    m.onUpdate(initial, true);
  }

  private open(): void {
    const socket = connectRemote(this.remote);
    const splitter = new JsonStreamSplitter(this.options.maxMessageBytes);
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      this.connected = true;
      this.backoff = this.options.minBackoffMs ?? 100;
      for (const [id, m] of this.monitors) {
        this.sendMonitor(id, m).catch((e: Error) => this.emit('error', e));
      }
      this.emit('connected');
    });
    socket.on('data', (chunk: string) => {
      try {
        for (const msg of splitter.push(chunk)) this.dispatch(msg);
      } catch (e) {
        // A protocol violation: fail what is waiting with that reason, then drop the connection.
        this.failPending(e instanceof SysdbError ? e : new SysdbError('BAD_REPLY', (e as Error).message));
        this.emit('error', e as Error);
        socket.destroy();
      }
    });
    socket.on('error', (e) => this.emit('error', new SysdbError('DISCONNECTED', `${formatRemote(this.remote)}: ${e.message}`, { cause: e })));
    socket.on('close', () => this.onClose(socket));
  }

  private onClose(socket: net.Socket): void {
    if (socket !== this.socket) return;
    const wasConnected = this.connected;
    this.connected = false;
    const err = new SysdbError('DISCONNECTED', `connection to ${formatRemote(this.remote)} closed`);
    this.failPending(err);
    if (wasConnected) this.emit('disconnected', err);
    if (this.closed || !this.options.reconnect) return;
    this.retryTimer = setTimeout(() => this.open(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 5000);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private dispatch(raw: unknown): void {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SysdbError('BAD_REPLY', 'malformed message from the server: not a JSON object');
    const msg = raw as Record<string, unknown>;
    if (typeof msg.method === 'string') {
      if (msg.method === 'echo' && msg.id !== null) {
        this.socket?.write(JSON.stringify({ result: msg.params, error: null, id: msg.id }));
      } else if (msg.method === 'update') {
        const [id, updates] = Array.isArray(msg.params) ? (msg.params as [string, TableUpdates]) : [];
        if (typeof id !== 'string' || !isObject(updates)) throw new SysdbError('BAD_REPLY', 'malformed update notification from the server');
        this.monitors.get(id)?.onUpdate(updates, false);
      }
      return;
    }
    const p = this.pending.get(msg.id as number);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(msg.id as number);
    if (msg.error) {
      const e = msg.error as { error?: string; details?: string } | string;
      const text = typeof e === 'string' ? e : `${e.error ?? 'error'}${e.details ? `: ${e.details}` : ''}`;
      p.reject(new SysdbError('RPC_ERROR', `${p.method}: ${text}`));
    } else p.resolve(msg.result);
  }
}

function isObject(v: unknown): v is Record<string, never> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
