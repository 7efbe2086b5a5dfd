import { headOf, nextEntry, type Head } from '../../../lib/device/audit.js';
import { OvsdbClient } from '../../../lib/device/ovsdb/client.js';

/** Writes a valid chain of n audit entries and the matching System.audit_head, in a few big transactions. */
export async function seedAudit(remote: string, n: number): Promise<void> {
  const client = new OvsdbClient({ remote, timeoutMs: 120_000 });
  await client.start();
  try {
    let last: Head | undefined;
    for (let done = 0; done < n;) {
      const ops = [];
      for (let i = 0; i < 5000 && done < n; i++, done++) {
        const e = nextEntry(last, 'seed@host', [{ op: 'modify', table: 'Interface', key: 'eth0', set: { mtu: { from: 1500, to: 1500 + done } } }]);
        ops.push({ op: 'insert' as const, table: 'Audit', row: { ...e } });
        last = e;
      }
      await client.transact('Sysdb', ops);
    }
    await client.transact('Sysdb', [{ op: 'insert', table: 'System', row: { audit_head: headOf(last!) } }]);
  } finally {
    client.close();
  }
}
