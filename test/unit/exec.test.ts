// The exec layer runs real host tools (sh, cat): exit codes, stderr tails, stdin, and how the
// callers that keep their own error codes (the writer's runTool) translate its one ExecError.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { ExecError } from '../../lib/errors.js';
import { exec, execOutput, execSync } from '../../lib/util/exec.js';
import { runTool } from '../../lib/writer/run-tool.js';
import { pidAlive } from '../support/pid-alive.js';

test('a tool that exits 0 gives its output; stdin from a string or a stream', async () => {
  expect((await exec('cat', [], { input: 'from a string' })).stdout).toBe('from a string');
  expect((await exec('cat', [], { input: Readable.from(['a ', 'stream']) })).stdout).toBe('a stream');
});

test('a non-zero exit is one ExecError with the command, the exit code and the tail of stderr', async () => {
  const err = await exec('sh', ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i >&2; done; exit 7']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ExecError);
  expect(err).toMatchObject({ code: 'EXEC', command: ['sh', '-c', expect.any(String)], exitCode: 7 });
  expect((err as ExecError).stderrTail).toEqual(['line3', 'line4', 'line5', 'line6', 'line7', 'line8', 'line9', 'line10']);
  expect((err as ExecError).message).toMatch(/exited with 7:\n {4}\| line3/);
});

test('a tool that cannot start is an ExecError without an exit code', async () => {
  const err = await exec('/nonexistent/tool', ['x']).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'EXEC', exitCode: null });
  expect((err as Error).message).toMatch(/\/nonexistent\/tool x could not run: .*ENOENT/);
  expect(execSync('/nonexistent/tool', [])).toMatchObject({ ok: false });
});

test('output can be watched as it comes and streamed; a failing stream errors with ExecError', async () => {
  const seen: string[] = [];
  await exec('sh', ['-c', 'echo out; echo err >&2'], { onOutput: (s, c) => seen.push(`${s}:${c.toString().trim()}`) });
  expect(seen.sort()).toEqual(['stderr:err', 'stdout:out']);
  const chunks: Buffer[] = [];
  for await (const c of execOutput('sh', ['-c', 'printf streamed'])) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe('streamed');
  const failing = execOutput('sh', ['-c', 'echo bad >&2; exit 3']);
  const err = await (async () => {
    for await (const _c of failing) {
      /* drain */
    }
  })().catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'EXEC', exitCode: 3, stderrTail: ['bad'] });
});

test("the writer's runTool keeps its WRITER_TOOL code and message on top of the exec layer", async () => {
  const failed = await runTool('sh', ['-c', 'echo no space left >&2; exit 1']).catch((e: unknown) => e);
  expect(failed).toMatchObject({ code: 'WRITER_TOOL', details: { code: 1, stderr: 'no space left' } });
  expect((failed as Error).message).toBe('sh -c echo no space left >&2; exit 1 failed (exit 1):\nno space left');
  expect(await runTool('missing-tool-xyz', []).catch((e: unknown) => (e as Error).message)).toMatch(/^cannot run missing-tool-xyz: /);
});

test('an abort ends the tool and what it started (its process group), a child ignoring SIGTERM too', async () => {
  const ac = new AbortController();
  const pids = `/tmp/stalker-exec-abort-${process.pid}`;
  // a child in the background that ignores SIGTERM, and one in the foreground
  const running = exec('sh', ['-c', `sh -c 'trap "" TERM; sleep 300' & echo $! > ${pids}; sleep 300 & echo $! >> ${pids}; wait`], { signal: ac.signal });
  const until = Date.now() + 5000;
  while (Date.now() < until && !(existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').length === 2)) await new Promise((r) => setTimeout(r, 20));
  const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
  ac.abort();
  await expect(running).rejects.toThrow(/sh -c .* was killed by SIG(TERM|KILL)|exited with/);
  const gone = Date.now() + 8000;
  while (Date.now() < gone && children.some(pidAlive)) await new Promise((r) => setTimeout(r, 100));
  expect(children.filter(pidAlive)).toEqual([]);
  rmSync(pids, { force: true });
}, 20_000);
