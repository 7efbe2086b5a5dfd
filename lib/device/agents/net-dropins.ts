import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringsOf, type Row } from '../ovsdb/datum.js';
import type { Step } from './plan.js';

async function fileSteps(file: string, content: string | undefined, reload: string[] | undefined): Promise<Step[]> {
  const now = await readFile(file, 'utf8').catch(() => undefined);
  if (now === content) return [];
  const steps: Step[] = content === undefined ? [{ kind: 'remove', path: file }] : [{ kind: 'write', path: file, content }];
  return reload ? [...steps, { kind: 'run', argv: reload }] : steps;
}

/**
 * `dhcp false` hands a link to the agent: systemd-networkd is told to leave it alone (a .network
 * file in /run that sorts before the image's 20-wired.network), which stops its DHCP client; the
 * agent then owns its addresses and routes. Without the column (or true) the file is gone and
 * networkd's DHCP runs as the image configured it.
 */
export function dhcpSteps(root: string, iface: Row, reload: string[] | undefined): Promise<Step[]> {
  const name = String(iface.name);
  const file = path.join(root, 'run/systemd/network', `10-stalker-${name}.network`);
  const content =
    iface.dhcp === false
      ? `# Written by the stalker net agent: Interface ${name} has dhcp false.\n[Match]\nName=${name}\n\n[Link]\nUnmanaged=yes\n`
      : undefined;
  return fileSteps(file, content, reload);
}

/** System.dns: the resolver's global servers (a device with a static address has no DHCP to offer them). */
export function dnsSteps(root: string, sys: Row | undefined, reload: string[] | undefined): Promise<Step[]> {
  const servers = stringsOf(sys?.dns);
  const file = path.join(root, 'run/systemd/resolved.conf.d/stalker-dns.conf');
  const content = servers.length ? `# Written by the stalker net agent from System.dns.\n[Resolve]\nDNS=${servers.join(' ')}\n` : undefined;
  return fileSteps(file, content, reload);
}
