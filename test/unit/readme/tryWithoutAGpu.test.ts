/**
 * The README's "Try it without a GPU server", as a user follows it: `npm run test-server -- ...`
 * builds and starts the OpenAI-compatible test server and prints its URL, `mcpo run` against that
 * URL answers every question, and closing the server's stdin (Ctrl+D) stops it. The README must
 * show the same commands (a renamed script or flag fails here first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runArgs, runCli } from '../../support/cli';
import { repoRoot } from '../../support/paths';
import { sampleRows } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

const LATENCY_MS = 100;
const WAIT_MS = 60_000;

/** The first stdout line of `child` that `match` accepts, within WAIT_MS. */
function firstLine(child: ChildProcessWithoutNullStreams, match: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no line like ${match} within ${WAIT_MS} ms:\n${out}\n${err}`)),
      WAIT_MS,
    );
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => match.test(l.trim()));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run test-server exited (${code}) before printing its URL:\n${err}`));
    });
  });
}

test('README: npm run test-server, then mcpo run against the URL it prints', async (t) => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  assert.match(readme, /npm run test-server -- --latency-ms 200/);
  assert.match(readme, /--llm-model test-model/);
  assert.match(readme, /"mcpo\.llm\.model": "test-model"/);

  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const server = spawn(
    npm,
    ['run', 'test-server', '--', '--latency-ms', String(LATENCY_MS), '--models', 'test-model'],
    { cwd: repoRoot },
  );
  t.after(() => server.kill());
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  const url = await firstLine(server, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);

  const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['test-model'],
  );
  const started = Date.now();
  const answer = (await (
    await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'Q?' }] }),
    })
  ).json()) as { choices: { message: { content: string } }[] };
  assert.equal(answer.choices[0].message.content, '1');
  assert.ok(Date.now() - started >= LATENCY_MS, '--latency-ms was not applied');

  // The CLI as the README runs it, on a few multiple-choice rows of the sample (no model download).
  const dir = tempDir('mcpo-try-');
  const data = path.join(dir, 'rows.jsonl');
  const rows = sampleRows()
    .filter((r) => r.task_type === 'multiple-choice')
    .slice(0, 3);
  fs.writeFileSync(data, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const run = await runCli(runArgs(data, url, dir));
  assert.equal(run.code, 0, `mcpo run failed:\n${run.stdout}\n${run.stderr}`);
  const [runDir] = fs.readdirSync(path.join(dir, 'runs'));
  const records = fs
    .readFileSync(path.join(dir, 'runs', runDir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { status: string });
  assert.deepEqual(
    records.map((r) => r.status),
    ['ok', 'ok', 'ok'],
  );

  // Ctrl+D: stdin closes and the server stops by itself.
  server.stdin.end();
  assert.equal(await exited, 0);
});
