// While a step runs, its container's wait is one long HTTP response; an engine that dies (a killed
// daemon, a host gone off the network) may leave that response open forever. The watchdog pings
// the engine meanwhile and rejects once it has stopped answering, so the step fails, named.
import type Docker from 'dockerode';
import { EngineError } from '../errors.js';

const EVERY_MS = 2000;
const PING_TIMEOUT_MS = 5000;
const MISSES = 2; // consecutive failed pings: one slow answer on a loaded host is not a death

export interface Watchdog {
  /** Rejects when the engine stopped answering; never resolves otherwise. */
  dead: Promise<never>;
  stop(): void;
}

export function watchEngine(docker: Docker, target: string): Watchdog {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let misses = 0;
  const dead = new Promise<never>((_, reject) => {
    const tick = async () => {
      const ok = await Promise.race([
        docker.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((r) => setTimeout(() => r(false), PING_TIMEOUT_MS).unref()),
      ]);
      if (stopped) return;
      misses = ok ? 0 : misses + 1;
      if (misses >= MISSES) reject(new EngineError('wait container', target, `the engine stopped answering (${MISSES} pings failed)`));
      else timer = setTimeout(() => void tick(), EVERY_MS).unref();
    };
    timer = setTimeout(() => void tick(), EVERY_MS).unref();
  });
  dead.catch(() => {}); // observed by the caller's race; never an unhandled rejection
  return {
    dead,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
