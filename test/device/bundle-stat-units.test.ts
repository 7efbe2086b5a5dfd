import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startWatchdog } from '../../lib/device/agents/watchdog.js';
import { OvsdbServer, SCHEMA, until } from './helpers/ovsdb-server.js';

const BUNDLE = path.resolve('dist/device');
let server: OvsdbServer;
let agent: ChildProcess | undefined;

beforeAll(() => {
  execFileSync('npm', ['run', '-s', 'bundle:device'], { stdio: 'pipe' });
});
beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
});
afterEach(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  agent = undefined;
  await server.dispose();
});

const telemetry = () => (server.transact([{ op: 'select', table: 'Telemetry', where: [] }]) as [{ rows: Record<string, number>[] }])[0].rows;

it('the node18 bundles run with no node_modules: sysdb sets a value, the stat agent refreshes telemetry and survives an ovsdb-server restart', async () => {
  // Copy the bundles away from the repository so nothing can resolve node_modules.
  for (const f of ['sysdb.cjs', 'stalker-agent.cjs']) writeFileSync(path.join(server.dir, f), readFileSync(path.join(BUNDLE, f)));
  const out = execFileSync('node', [path.join(server.dir, 'sysdb.cjs'), '--remote', server.remote, 'set', 'system', 'log_level', 'debug'], {
    encoding: 'utf8',
    cwd: server.dir,
  });
  expect(out).toMatch(/applied 1 change\(s\) \(audit entry 1\)/);

  agent = spawn('node', [path.join(server.dir, 'stalker-agent.cjs'), 'stat', '--remote', server.remote], {
    cwd: server.dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  agent.stdout!.on('data', (d) => {
    stdout += d;
  });
  await until('ready marker', () => stdout.includes('agent stat ready\n'));
  const first = await until('telemetry row', () => telemetry()[0]);
  expect(first.uptime).toBeGreaterThan(0);
  expect(first.mem_free).toBeGreaterThan(0);
  await until('telemetry refreshed', () => telemetry()[0].timestamp > first.timestamp, 3000);
  expect(stdout).toMatch(/"level":"debug"/); // System.log_level reached the agent

  await server.stop();
  await new Promise((r) => setTimeout(r, 1200));
  await server.start();
  const restartedAt = Date.now();
  await until('telemetry after restart', () => telemetry()[0]?.timestamp > restartedAt, 8000);
  expect(telemetry()).toHaveLength(1);
  expect(stdout).toMatch(/"msg":"database disconnected"/);
});

it('sysdb.service first-boot script creates the database, then converts it when the schema changes', () => {
  const unit = readFileSync('lib/device/units/sysdb.service', 'utf8');
  const script = /^ExecStartPre=\/bin\/sh -ec '(.*)'$/m.exec(unit)![1];
  const env = { ...process.env, SYSDB_DB: path.join(server.dir, 'boot.db'), SYSDB_SCHEMA: SCHEMA };
  execFileSync('/bin/sh', ['-ec', script], { env });
  const version = (JSON.parse(readFileSync(SCHEMA, 'utf8')) as { version: string }).version;
  expect(execFileSync('ovsdb-tool', ['db-version', env.SYSDB_DB], { encoding: 'utf8' }).trim()).toBe(version);
  const next = path.join(server.dir, 'next.ovsschema');
  writeFileSync(
    next,
    readFileSync(SCHEMA, 'utf8')
      .replace(`"version": "${version}"`, '"version": "99.0.0"')
      .replace('"hostname": {', '"motd": {"type": {"key": "string", "min": 0, "max": 1}},\n        "hostname": {'),
  );
  execFileSync('/bin/sh', ['-ec', script], { env: { ...env, SYSDB_SCHEMA: next } });
  expect(execFileSync('ovsdb-tool', ['db-version', env.SYSDB_DB], { encoding: 'utf8' }).trim()).toBe('99.0.0');
});

it('a database of schema 1.1.0 (the image before Interface.dhcp/gateway/routes and System.dns) is converted with its rows', () => {
  // 1.1.0, rebuilt from today's schema: without the columns 1.2.0 added, with the statuses' enums
  const old = JSON.parse(readFileSync(SCHEMA, 'utf8')) as { version: string; tables: Record<string, { columns: Record<string, unknown> }> };
  old.version = '1.1.0';
  delete old.tables.System.columns.dns;
  for (const c of ['dhcp', 'gateway', 'routes']) delete old.tables.Interface.columns[c];
  const status = (values: string[]) => ({ type: { key: { type: 'string', enum: ['set', values] }, min: 0, max: 1 } });
  old.tables.VirtualMachine.columns.status = status(['starting', 'running', 'stopped', 'crashed', 'error']);
  old.tables.Storage.columns.status = status(['pending', 'logged-in', 'mounted', 'error']);
  const oldSchema = path.join(server.dir, 'old.ovsschema');
  writeFileSync(oldSchema, JSON.stringify(old));
  const db = path.join(server.dir, 'old.db');
  execFileSync('ovsdb-tool', ['create', db, oldSchema]);
  execFileSync('ovsdb-tool', [
    'transact',
    db,
    JSON.stringify([
      'Sysdb',
      { op: 'insert', table: 'System', row: { hostname: 'pi' } },
      { op: 'insert', table: 'Interface', row: { name: 'eth0', ip: '10.0.0.2/24' } },
      { op: 'insert', table: 'VirtualMachine', row: { name: 'vm1', id: 1, vcpus: 1, memory: 64, state: 'stop', status: 'crashed' } },
    ]),
  ]);
  const unit = readFileSync('lib/device/units/sysdb.service', 'utf8');
  const script = /^ExecStartPre=\/bin\/sh -ec '(.*)'$/m.exec(unit)![1];
  execFileSync('/bin/sh', ['-ec', script], { env: { ...process.env, SYSDB_DB: db, SYSDB_SCHEMA: SCHEMA } });
  expect(execFileSync('ovsdb-tool', ['db-version', db], { encoding: 'utf8' }).trim()).toBe(
    (JSON.parse(readFileSync(SCHEMA, 'utf8')) as { version: string }).version,
  );
  const rows = JSON.parse(
    execFileSync(
      'ovsdb-tool',
      ['query', db, JSON.stringify(['Sysdb', { op: 'select', table: 'Interface', where: [] }, { op: 'select', table: 'VirtualMachine', where: [] }])],
      {
        encoding: 'utf8',
      },
    ),
  ) as { rows: Record<string, unknown>[] }[];
  expect(rows[0].rows).toEqual([expect.objectContaining({ name: 'eth0', ip: '10.0.0.2/24', dhcp: ['set', []] })]);
  expect(rows[1].rows).toEqual([expect.objectContaining({ name: 'vm1', status: 'crashed' })]);
});

it('the watchdog is pinged only while healthy', async () => {
  const sent: string[] = [];
  let healthy = true;
  const timer = startWatchdog(() => healthy, { notify: (s) => sent.push(s) }, { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '100000' });
  await new Promise((r) => setTimeout(r, 280));
  healthy = false;
  const pings = sent.filter((s) => s === 'WATCHDOG=1').length;
  await new Promise((r) => setTimeout(r, 200));
  clearInterval(timer);
  expect(sent[0]).toBe('READY=1');
  expect(pings).toBeGreaterThanOrEqual(2);
  expect(sent.filter((s) => s === 'WATCHDOG=1').length).toBe(pings);
  expect(
    startWatchdog(
      () => true,
      {
        notify: () => {
          throw new Error('no systemd, no ping');
        },
      },
      {},
    ),
  ).toBeUndefined();
});
