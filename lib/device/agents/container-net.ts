import type { Row } from '../ovsdb/datum.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/**
 * The container's network, from the host side: its end vi<id> up (the net agent puts it on the
 * bridge), then inside its network namespace (entered through the leader's pid) loopback, the
 * row's addresses, eth0 up and the default route. The image needs no ip command of its own.
 */
export function containerNetSteps(ct: Row, leader: number): string[][] {
  const inside = (...argv: string[]) => ['nsenter', `--target=${leader}`, '--net', '--', ...argv];
  return [
    ['ip', 'link', 'set', 'dev', `vi${ct.id}`, 'up'],
    inside('ip', 'link', 'set', 'dev', 'lo', 'up'),
    ...list(ct.ip).map((a) => inside('ip', 'addr', 'replace', a, 'dev', 'eth0')),
    inside('ip', 'link', 'set', 'dev', 'eth0', 'up'),
    ...(typeof ct.gateway === 'string' ? [inside('ip', 'route', 'replace', 'default', 'via', ct.gateway, 'dev', 'eth0')] : []),
  ];
}
