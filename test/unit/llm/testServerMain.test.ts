/**
 * The test server as a user starts it in the background (`npm run test-server ... &`): its stdin
 * is /dev/null, which ends at once, and it must keep serving until it is killed, then say why it
 * stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

const MAIN = path.join(__dirname, '..', '..', 'support', 'openaiTestServerMain.js');

test('started with stdin at /dev/null, the test server serves until SIGTERM and says why it stopped', async (t) => {
  const child = spawn(process.execPath, [MAIN], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let killed = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      assert.ok(killed, `it exited on its own (code ${code}): ${stderr}`);
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve) =>
    readline.createInterface({ input: child.stdout }).once('line', resolve),
  );
  // Its stdin ended as it started; a request after that is still answered.
  const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['test-model'],
  );
  killed = true;
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stderr, /test server stopped: terminated/);
});

/** Runs the test server's main to its exit; its exit code and stderr. */
function runToExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

test('a port in use is said in one line, without the usage text; wrong flags get the usage', async (t) => {
  const first = spawn(process.execPath, [MAIN], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => first.kill('SIGKILL'));
  const url = await new Promise<string>((resolve) =>
    readline.createInterface({ input: first.stdout }).once('line', resolve),
  );
  const port = new URL(url).port;
  const busy = await runToExit(['--port', port]);
  assert.equal(busy.code, 1);
  assert.equal(
    busy.stderr,
    `error: port ${port} is already in use (another test server?): stop it, or pick another --port\n`,
  );
  const wrong = await runToExit(['--latency-ms', 'soon']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--latency-ms must be an integer >= 0, got "soon"\nusage: /);
});
