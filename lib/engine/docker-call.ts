// Every Docker call goes through `call`: a debug line before and after, benign statuses (404 no
// such object, 304 already stopped, 409 being removed) answered here, and failures translated
// into one EngineError naming the operation and its target.
import { EngineError } from '../errors.js';
import { debug } from '../util/debug.js';
import type { Labels } from './engine-port.js';

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

export async function call<T>(operation: string, target: string, fn: () => Promise<T>, benign: number[] = []): Promise<T | undefined> {
  debug('engine', `${operation} ${target}`);
  try {
    const result = await fn();
    debug('engine', `${operation} ${target}: ok`);
    return result;
  } catch (err) {
    if (benign.includes(statusOf(err) ?? -1)) {
      debug('engine', `${operation} ${target}: ${statusOf(err)} (benign)`);
      return undefined;
    }
    throw new EngineError(operation, target, err);
  }
}

export async function must<T>(operation: string, target: string, fn: () => Promise<T>): Promise<T> {
  return (await call(operation, target, fn)) as T;
}

export function labelFilter(labels: Labels): string {
  return JSON.stringify({ label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)) });
}
