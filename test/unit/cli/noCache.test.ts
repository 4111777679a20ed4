/** `mcpo run --no-cache` asks the server again instead of replaying earlier answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runArgs, runCli } from '../../support/cli';
import { RunStore } from '../../../server/runs/runStore';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { SAMPLE_FILE } from '../../support/sample';

test('mcpo run --no-cache sends every question again; without it, none', async (t) => {
  const server = await startOpenAiTestServer();
  t.after(() => server.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-no-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const args = [
    'run',
    '--data',
    SAMPLE_FILE,
    '--limit',
    '3',
    '--templates',
    'none',
    '--llm-url',
    server.baseUrl,
    '--llm-model',
    'test-model',
    '--cache',
    path.join(dir, 'cache'),
    '--out',
    path.join(dir, 'runs'),
  ];
  const posts = (): number => server.requests.filter((r) => r.method === 'POST').length;
  assert.equal((await runCli(args)).code, 0);
  assert.equal(posts(), 3);
  const replayed = await runCli(args);
  assert.equal(replayed.code, 0);
  assert.equal(posts(), 3, 'a second run replays the cache');
  assert.match(replayed.stdout, /^answers from cache +3$/m, 'the report marks cached answers');
  const fresh = await runCli([...args, '--no-cache']);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(posts(), 6, '--no-cache asks again');
  assert.match(fresh.stdout, /^answers from cache +0$/m);
});

test('resuming a --no-cache run replays no answer cached before the run started', async (t) => {
  const server = await startOpenAiTestServer();
  t.after(() => server.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-no-cache-resume-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const args = [...runArgs(SAMPLE_FILE, server.baseUrl, dir), '--limit', '3'];
  const posts = (): number => server.requests.filter((r) => r.method === 'POST').length;
  assert.equal((await runCli(args)).code, 0, 'a plain run caches 3 answers');
  assert.equal(posts(), 3);
  // The --no-cache run's check passes, then each of its 3 questions is refused: nothing cached.
  server.script(
    { kind: 'none' },
    ...Array.from({ length: 3 }, () => ({ kind: 'wrongModel' as const })),
  );
  const failed = await runCli([...args, '--no-cache']);
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal(posts(), 6);
  const runDir = /^run (\S+): /m.exec(failed.stderr)?.[1];
  assert.ok(runDir, failed.stderr);
  assert.equal(typeof RunStore.open(runDir).config.replayCachedFrom, 'number');
  const resumed = await runCli(['run', '--resume', runDir, '--cache', path.join(dir, 'cache')]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(posts(), 9, 'the resume asks again, as the run did');
  assert.doesNotMatch(resumed.stderr, /came from the response cache/);
});
