// The scheduler with controllable fake jobs: each job is a deferred promise the test settles, so
// ordering, overlap and stopping are asserted from what started when, never from wall time.
import { schedule, type Job, type Outcome } from '../../lib/run/scheduler.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued microtasks and p-queue's scheduling run. */
const tick = () => new Promise<void>((r) => setImmediate(r));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Fake jobs: `started` records start order, `running` what is in flight, `log` every start/end. */
class FakeJobs {
  readonly started: string[] = [];
  readonly running = new Set<string>();
  readonly log: string[] = [];
  readonly seenDeps = new Map<string, Record<string, string>>();
  maxInFlight = 0;
  private readonly pending = new Map<string, Deferred<string>>();

  readonly run = (name: string, deps: ReadonlyMap<string, string>): Promise<string> => {
    this.started.push(name);
    this.running.add(name);
    this.log.push(`start ${name}`);
    this.seenDeps.set(name, Object.fromEntries(deps));
    this.maxInFlight = Math.max(this.maxInFlight, this.running.size);
    const d = deferred<string>();
    this.pending.set(name, d);
    return d.promise.finally(() => {
      this.running.delete(name);
      this.log.push(`end ${name}`);
    });
  };

  async succeed(name: string): Promise<void> {
    await until(() => this.pending.has(name), `${name} to start`);
    this.pending.get(name)!.resolve(`${name}-image`);
    await tick();
  }

  async fail(name: string, message = `${name} broke`): Promise<void> {
    await until(() => this.pending.has(name), `${name} to start`);
    this.pending.get(name)!.reject(new Error(message));
    await tick();
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** Lets every job that starts finish, until the schedule settles. */
  async drain(result: Promise<unknown>): Promise<void> {
    let settled = false;
    void result.finally(() => {
      settled = true;
    });
    while (!settled) {
      for (const name of [...this.running]) this.pending.get(name)!.resolve(`${name}-image`);
      await tick();
    }
  }
}

const job = (name: string, ...deps: string[]): Job => ({ name, deps });

function kinds<T>(outcomes: Map<string, Outcome<T>>): Record<string, string> {
  return Object.fromEntries([...outcomes].map(([n, o]) => [n, o.kind]));
}

test('a job starts only after every job it depends on is done, and gets their values', async () => {
  const fake = new FakeJobs();
  // base -> (left, right) -> join: the diamond of a fan-in node
  const jobs = [job('base'), job('left', 'base'), job('right', 'base'), job('join', 'left', 'right')];
  const result = schedule(jobs, fake.run, { concurrency: 4, keepGoing: false });

  await until(() => fake.started.length === 1, 'base to start');
  expect(fake.started).toEqual(['base']);
  await fake.succeed('base');
  await until(() => fake.started.length === 3, 'both branches to start');
  expect(fake.started.slice(1).sort()).toEqual(['left', 'right']);
  await fake.succeed('left');
  await tick();
  expect(fake.started).not.toContain('join'); // right is still running
  await fake.succeed('right');
  await fake.succeed('join');

  const outcomes = await result;
  expect(kinds(outcomes)).toEqual({ base: 'done', left: 'done', right: 'done', join: 'done' });
  expect(fake.seenDeps.get('join')).toEqual({ left: 'left-image', right: 'right-image' });
  expect(fake.seenDeps.get('left')).toEqual({ base: 'base-image' });
  expect(outcomes.get('join')).toEqual({ kind: 'done', value: 'join-image' });
});

test('two independent branches overlap, and never more than the concurrency limit runs', async () => {
  const fake = new FakeJobs();
  const jobs = [job('a'), job('b'), job('c'), job('d')];
  const result = schedule(jobs, fake.run, { concurrency: 2, keepGoing: false });

  await until(() => fake.running.size === 2, 'two jobs in flight');
  expect([...fake.running].sort()).toEqual(['a', 'b']); // both branches at once: they overlap
  await tick();
  expect(fake.running.size).toBe(2); // c and d wait for a free slot
  await fake.succeed('a');
  await until(() => fake.isRunning('c'), 'c to take the free slot');
  expect(fake.running.size).toBe(2);
  await fake.succeed('b');
  await fake.succeed('c');
  await fake.succeed('d');

  expect(kinds(await result)).toEqual({ a: 'done', b: 'done', c: 'done', d: 'done' });
  expect(fake.maxInFlight).toBe(2);
});

test('concurrency 1 runs a chain of independent jobs one at a time', async () => {
  const fake = new FakeJobs();
  const result = schedule([job('a'), job('b'), job('c')], fake.run, { concurrency: 1, keepGoing: false });
  for (const name of ['a', 'b', 'c']) await fake.succeed(name);
  await result;
  expect(fake.maxInFlight).toBe(1);
  expect(fake.log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
});

test('after a failure nothing new starts, running jobs finish, and downstream names the failed upstream', async () => {
  const fake = new FakeJobs();
  // broken and slow run at once; after-broken depends on broken; later waits for slow
  const jobs = [job('broken'), job('slow'), job('after-broken', 'broken'), job('later', 'slow'), job('leaf', 'after-broken')];
  const result = schedule(jobs, fake.run, { concurrency: 2, keepGoing: false });

  await until(() => fake.running.size === 2, 'broken and slow to run');
  await fake.fail('broken');
  expect(fake.isRunning('slow')).toBe(true); // not cancelled: it is let finish
  await fake.succeed('slow');

  const outcomes = await result;
  expect(fake.started.sort()).toEqual(['broken', 'slow']); // `later` was ready but never started
  expect(outcomes.get('broken')).toMatchObject({ kind: 'failed', error: expect.objectContaining({ message: 'broken broke' }) });
  expect(outcomes.get('slow')).toEqual({ kind: 'done', value: 'slow-image' });
  expect(outcomes.get('after-broken')).toEqual({ kind: 'skipped', reason: 'upstream-failed', upstream: 'broken' });
  // two levels down still names the node that actually failed, not the skipped one between
  expect(outcomes.get('leaf')).toEqual({ kind: 'skipped', reason: 'upstream-failed', upstream: 'broken' });
  expect(outcomes.get('later')).toEqual({ kind: 'skipped', reason: 'stopped' });
});

test('onSkip reports every skipped job once, with its reason', async () => {
  const fake = new FakeJobs();
  const skips: Array<[string, string, string | undefined]> = [];
  const jobs = [job('a'), job('b', 'a'), job('c', 'b')];
  const result = schedule(jobs, fake.run, {
    concurrency: 2,
    keepGoing: false,
    onSkip: (name, o) => skips.push([name, o.reason, o.upstream]),
  });
  await fake.fail('a');
  await result;
  expect(skips).toEqual([
    ['b', 'upstream-failed', 'a'],
    ['c', 'upstream-failed', 'a'],
  ]);
});

// A job that was ready while every slot was busy sits in p-queue's queue. When a running job then
// fails, that queued job must not start either ("on failure start nothing new").
test('a job waiting for a free slot does not start after another job failed', async () => {
  const fake = new FakeJobs();
  const result = schedule([job('a'), job('b'), job('c')], fake.run, { concurrency: 1, keepGoing: false });
  await fake.fail('a');
  await tick();
  const started = [...fake.started];
  await fake.drain(result);
  const outcomes = await result;
  expect(started).toEqual(['a']);
  expect(outcomes.get('b')).toEqual({ kind: 'skipped', reason: 'stopped' });
});

test('keepGoing continues independent branches and skips only what is downstream of the failure', async () => {
  const fake = new FakeJobs();
  const jobs = [job('base'), job('bad', 'base'), job('good', 'base'), job('bad-child', 'bad'), job('good-child', 'good')];
  const result = schedule(jobs, fake.run, { concurrency: 1, keepGoing: true });

  await fake.succeed('base');
  await fake.fail('bad');
  await fake.succeed('good');
  await fake.succeed('good-child');

  const outcomes = await result;
  expect(kinds(outcomes)).toEqual({ base: 'done', bad: 'failed', good: 'done', 'bad-child': 'skipped', 'good-child': 'done' });
  expect(outcomes.get('bad-child')).toEqual({ kind: 'skipped', reason: 'upstream-failed', upstream: 'bad' });
  expect(fake.started).not.toContain('bad-child');
});

test('an abort starts no new job, lets the running one finish, and skips the rest as stopped', async () => {
  const fake = new FakeJobs();
  const abort = new AbortController();
  const jobs = [job('a'), job('b', 'a'), job('c', 'b')];
  const result = schedule(jobs, fake.run, { concurrency: 2, keepGoing: false, signal: abort.signal });

  await until(() => fake.isRunning('a'), 'a to run');
  abort.abort('SIGINT');
  await tick();
  expect(fake.isRunning('a')).toBe(true);
  await fake.succeed('a');

  const outcomes = await result;
  expect(fake.started).toEqual(['a']);
  expect(outcomes.get('a')).toEqual({ kind: 'done', value: 'a-image' });
  expect(outcomes.get('b')).toEqual({ kind: 'skipped', reason: 'stopped' });
  expect(outcomes.get('c')).toMatchObject({ kind: 'skipped', reason: 'stopped' });
});

test('an already aborted signal runs nothing', async () => {
  const fake = new FakeJobs();
  const abort = new AbortController();
  abort.abort('SIGTERM');
  const outcomes = await schedule([job('a'), job('b')], fake.run, { concurrency: 2, keepGoing: false, signal: abort.signal });
  expect(fake.started).toEqual([]);
  expect(kinds(outcomes)).toEqual({ a: 'skipped', b: 'skipped' });
});

test('an empty job list settles at once', async () => {
  await expect(schedule([], new FakeJobs().run, { concurrency: 2, keepGoing: false })).resolves.toEqual(new Map());
});
