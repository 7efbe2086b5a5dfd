import net from 'node:net';
import { stringsOf, type Row } from '../ovsdb/datum.js';
import { ROUTE_PROTO } from './net-observe.js';
import type { Step } from './plan.js';

const familyFlag = (route: string) => (net.isIP(route.split(' via ')[1] ?? '') === 6 ? '-6' : '-4');

/** A route as `ip route` prints it back: one spelling, so a converged link yields no steps. */
function normal(route: string): string {
  const [dst, gw] = route.split(' via ');
  const v6 = (a: string) => (net.isIP(a) === 6 ? new URL(`http://[${a}]`).hostname.slice(1, -1) : a);
  const [addr, prefix] = dst.split('/');
  const bare = prefix === undefined || (prefix === '32' && net.isIP(addr) === 4) || (prefix === '128' && net.isIP(addr) === 6);
  return `${dst === 'default' ? 'default' : bare ? v6(addr) : `${v6(addr)}/${prefix}`} via ${v6(gw)}`;
}

/**
 * Interface.gateway (one per family: a default route) and Interface.routes ("DST/PREFIX via GW")
 * on the row's link, marked with the agent's protocol number so that the routes it added are
 * found again after an agent restart and removed when the row no longer names them. Routes of
 * other origins (the DHCP client's default route, the kernel's) are never touched.
 */
export function routeSteps(dev: string, row: Row, have: string[]): Step[] {
  const want = [...stringsOf(row.gateway).map((gw) => `default via ${gw}`), ...stringsOf(row.routes)].map(normal);
  const present = have.map(normal);
  const steps: Step[] = [];
  const ip = (verb: string, r: string) => {
    const [dst, gw] = r.split(' via ');
    steps.push({ kind: 'run', argv: ['ip', familyFlag(r), 'route', verb, dst, 'via', gw, 'dev', dev, 'proto', ROUTE_PROTO] });
  };
  for (const r of present) if (!want.includes(r)) ip('del', r);
  for (const r of want) if (!present.includes(r)) ip('replace', r);
  return steps;
}
