import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SysdbError } from '../../lib/device/errors.js';
import { OvsdbClient } from '../../lib/device/ovsdb/client.js';
import { TableCache } from '../../lib/device/ovsdb/datum.js';
import { JsonStreamSplitter } from '../../lib/device/ovsdb/json-stream.js';
import { OvsdbServer, SCHEMA, until } from './helpers/ovsdb-server.js';

describe('Sysdb schema', () => {
  it('is accepted by ovsdb-tool and names the Sysdb database', () => {
    expect(execFileSync('ovsdb-tool', ['schema-name', SCHEMA], { encoding: 'utf8' }).trim()).toBe('Sysdb');
  });
  it('a broken copy is refused (the check can fail)', () => {
    const server = new OvsdbServer();
    const bad = path.join(server.dir, 'bad.ovsschema');
    writeFileSync(bad, readFileSync(SCHEMA, 'utf8').replace('"type": "integer", "minInteger": 0, "maxInteger": 4095', '"type": "integr"'));
    expect(() => execFileSync('ovsdb-tool', ['create', path.join(server.dir, 'x.db'), bad], { stdio: 'pipe' })).toThrow();
    void server.dispose();
  });
});

describe('JsonStreamSplitter', () => {
  it('cuts back-to-back JSON texts split at arbitrary points, ignoring braces in strings', () => {
    const s = new JsonStreamSplitter();
    expect(s.push('{"a":"}{\\"","b":[1,')).toEqual([]);
    expect(s.push('2]}{"c":1} {"d"')).toEqual([{ a: '}{"', b: [1, 2] }, { c: 1 }]);
    expect(s.push(':2}')).toEqual([{ d: 2 }]);
  });
});

describe('OvsdbClient against a real ovsdb-server', () => {
  let server: OvsdbServer;
  let client: OvsdbClient;
  beforeEach(async () => {
    server = new OvsdbServer();
    await server.start();
  });
  afterEach(async () => {
    client?.close();
    await server.dispose();
  });

  it('echoes, transacts, and surfaces constraint errors with the server detail', async () => {
    client = new OvsdbClient({ remote: server.remote });
    await client.start();
    expect(await client.echo(['hi'])).toEqual(['hi']);
    const [ins] = await client.transact('Sysdb', [{ op: 'insert', table: 'Interface', row: { name: 'eth0', vlan: 100 } }]);
    expect(ins.uuid?.[0]).toBe('uuid');
    const err = await client.transact('Sysdb', [{ op: 'insert', table: 'Interface', row: { name: 'eth1', vlan: 5000 } }]).catch((e) => e);
    expect(err).toBeInstanceOf(SysdbError);
    expect((err as SysdbError).code).toBe('TRANSACTION_FAILED');
    expect((err as Error).message).toMatch(/constraint violation.*5000/);
    const dup = await client.transact('Sysdb', [{ op: 'insert', table: 'Interface', row: { name: 'eth0' } }]).catch((e) => e);
    expect((dup as Error).message).toMatch(/constraint violation/);
  });

  it('fails fast without reconnect when the server is absent', async () => {
    await server.stop();
    client = new OvsdbClient({ remote: server.remote });
    await expect(client.start()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('monitors, then reconnects and resynchronises after the server is killed and restarted', async () => {
    client = new OvsdbClient({ remote: server.remote, reconnect: true, minBackoffMs: 50, maxBackoffMs: 200 });
    await client.start();
    const cache = new TableCache();
    let initials = 0;
    await client.monitor('Sysdb', { Interface: {} }, (u, initial) => {
      cache.apply(u, initial);
      if (initial) initials++;
    });
    server.transact([{ op: 'insert', table: 'Interface', row: { name: 'eth0', mtu: 1500 } }]);
    await until('update', () => cache.rows('Interface').find((r) => r.mtu === 1500));
    await server.stop();
    await until('disconnect noticed', () => !client.isConnected);
    // While the server is down a row changes offline (ovsdb-tool), so only a resync can reveal it.
    execFileSync('ovsdb-tool', ['transact', server.db, JSON.stringify(['Sysdb', { op: 'update', table: 'Interface', where: [], row: { mtu: 9000 } }])]);
    await server.start();
    await until('resync after restart', () => initials === 2 && cache.rows('Interface').find((r) => r.mtu === 9000));
    expect(cache.rows('Interface')).toHaveLength(1);
  });
});
