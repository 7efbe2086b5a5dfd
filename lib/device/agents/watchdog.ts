import { execFile } from 'node:child_process';

/**
 * systemd's watchdog, chosen over the watchdog daemon: PID 1 already pets the hardware watchdog
 * (RuntimeWatchdogSec), each agent unit has WatchdogSec=, and an agent pings only while healthy.
 * Node cannot send on a unix datagram socket, so the ping goes through systemd-notify with
 * --pid=<our pid>, which attributes the message to this (main) process.
 */
export interface Notifier {
  notify(state: string): void;
}

export const systemdNotifier: Notifier = {
  notify: (state) => {
    execFile('systemd-notify', [`--pid=${process.pid}`, state], () => {});
  },
};

export function startWatchdog(healthy: () => boolean, notifier: Notifier, env = process.env): NodeJS.Timeout | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.NOTIFY_SOCKET) return undefined;
  notifier.notify('READY=1');
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  return setInterval(
    () => {
      if (healthy()) notifier.notify('WATCHDOG=1');
    },
    Math.max(usec / 2000, 100),
  );
}
