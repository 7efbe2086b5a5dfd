import type net from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { SysdbError } from '../errors.js';
import { JsonStreamSplitter } from './json-stream.js';
import { connectRemote, formatRemote, parseRemote, type Remote } from './remote.js';
import type { MonitorRequests, Operation, OperationResult, TableUpdates } from './protocol.js';

export interface ClientOptions {
  remote: string;
  /** Keep retrying with backoff when the server is absent or goes away (agents); the CLI fails fast. */
  reconnect?: boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

type UpdateHandler = (updates: TableUpdates, initial: boolean) => void;
interface Monitor { db: string; requests: MonitorRequests; onUpdate: UpdateHandler }
interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }
interface Events { connected: []; disconnected: [Error]; error: [Error] }

/** RFC 7047 client: requests, server echo replies, monitors that are re-established after a reconnect. */
export class OvsdbClient extends EventEmitter<Events> {
  private readonly remote: Remote;
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
    this.remote = parseRemote(options.remote);
    this.backoff = options.minBackoffMs ?? 100;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves on the first successful connection; without reconnect, rejects if that fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onConnected = () => { this.off('error', onError); resolve(); };
      const onError = (e: Error) => {
        if (this.options.reconnect) return;
        this.off('connected', onConnected);
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
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
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
    const failed = results.findIndex((r) => r && typeof r === 'object' && 'error' in r && r.error);
    if (failed >= 0) {
      const r = results[failed] as { error: string; details?: string };
      const op = failed < ops.length ? ` (operation ${failed + 1}: ${ops[failed].op})` : '';
      throw new SysdbError('TRANSACTION_FAILED', `${r.error}${op}${r.details ? `: ${r.details}` : ''}`);
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
    m.onUpdate(initial, true);
  }

  private open(): void {
    const socket = connectRemote(this.remote);
    const splitter = new JsonStreamSplitter();
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
        for (const msg of splitter.push(chunk)) this.dispatch(msg as Record<string, unknown>);
      } catch (e) {
        socket.destroy(e as Error);
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
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (wasConnected) this.emit('disconnected', err);
    if (this.closed || !this.options.reconnect) return;
    this.retryTimer = setTimeout(() => this.open(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 5000);
  }

  private dispatch(msg: Record<string, unknown>): void {
    if (typeof msg.method === 'string') {
      if (msg.method === 'echo' && msg.id !== null) {
        this.socket?.write(JSON.stringify({ result: msg.params, error: null, id: msg.id }));
      } else if (msg.method === 'update') {
        const [id, updates] = msg.params as [string, TableUpdates];
        this.monitors.get(id)?.onUpdate(updates, false);
      }
      return;
    }
    const p = this.pending.get(msg.id as number);
    if (!p) return;
    this.pending.delete(msg.id as number);
    if (msg.error) {
      const e = msg.error as { error?: string; details?: string } | string;
      const text = typeof e === 'string' ? e : `${e.error ?? 'error'}${e.details ? `: ${e.details}` : ''}`;
      p.reject(new SysdbError('RPC_ERROR', `${p.method}: ${text}`));
    } else p.resolve(msg.result);
  }
}
