import net from 'node:net';
import { stringsOf, type Value } from '../ovsdb/datum.js';
import type { Step } from './plan.js';

/** One spelling per address (fd00:0::1/64 and fd00::1/64 are the same), as `ip -j addr` prints them. */
export function canonical(cidr: string): string {
  const [addr, prefix] = cidr.split('/');
  if (net.isIP(addr) !== 6) return cidr;
  return `${new URL(`http://[${addr}]`).hostname.slice(1, -1)}/${prefix}`;
}

const family = (cidr: string) => net.isIP(cidr.split('/')[0]);

/**
 * A link's address steps and which addresses are the agent's: `during` (recorded before the steps
 * run, so an agent killed halfway still knows what it was adding) and `after`, once they all ran.
 */
export interface AddressPlan {
  steps: Step[];
  during: Set<string>;
  after: Set<string>;
}

/**
 * Interface.ip holds zero or more addresses. For each family the row names, other global addresses
 * of that family are removed (setting an IPv4 address leaves SLAAC/static IPv6 alone); addresses this
 * agent added earlier (`mine`) and the row no longer names are removed too, which is what `ip none`
 * means. Addresses with a lifetime (a DHCP lease, SLAAC) belong to their client and stay, unless the
 * row turns DHCP off (`dhcp false`): a static address then comes on top of the lease instead of
 * silently cutting the connection that came over it. Pure: the caller keeps `mine` (net-managed.ts).
 */
export function addressSteps(
  dev: string,
  ip: Value | undefined,
  link: { addrs: string[]; dynamic: string[] },
  mine: ReadonlySet<string>,
  dhcpOff = false,
): AddressPlan {
  const want = stringsOf(ip).map(canonical);
  const present = new Set(link.addrs.map(canonical));
  const leased = new Set(link.dynamic.map(canonical));
  const families = new Set(want.map(family));
  const steps: Step[] = [];
  // An address of ours stays ours until it is seen gone: if its removal fails, the next pass (or the
  // next agent) still knows to remove it.
  const during = new Set([...want, ...[...mine].filter((a) => present.has(a))]);
  // Removals first: deleting a primary IPv4 address also deletes the secondaries of its subnet, so
  // a new address in the same subnet added before the old one is removed would vanish with it.
  for (const a of present) {
    if (want.includes(a)) continue;
    // With DHCP off, IPv4 leases go (the client is stopped); IPv6 ones (SLAAC) only where the row names IPv6.
    const remove = leased.has(a) ? dhcpOff && (family(a) === 4 || families.has(6)) : families.has(family(a)) || mine.has(a);
    if (remove) steps.push({ kind: 'run', argv: ['ip', 'addr', 'del', a, 'dev', dev] });
  }
  // ... and the wanted IPv4 addresses are put back after any IPv4 removal (replace is idempotent).
  const v4Removed = steps.some((s) => s.kind === 'run' && family(s.argv[3]) === 4);
  for (const a of want) if (!present.has(a) || (v4Removed && family(a) === 4)) steps.push({ kind: 'run', argv: ['ip', 'addr', 'replace', a, 'dev', dev] });
  return { steps, during, after: new Set(want) };
}
