/**
 * `mcpo run --preset paper` needs the vector model M_V for its similarity hints. When M_V cannot
 * load (offline, a wrong folder), the run stops before any question is asked: no answer request
 * reaches the server, no run folder is left behind, and the message names the ways out as the
 * CLI has them (--similarity-k 0, --embed-model), not VS Code's settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runArgs, runCli } from '../../support/cli';
import { openAiTestServerFor } from '../../support/openaiTestServer';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';

test('--preset paper with a vector model that will not load: no question runs, no run folder, the ways out named', async (t) => {
  const server = await openAiTestServerFor(t, { answer: () => '1' });
  const dir = tempDir('mcpo-mv-first-');
  const missing = path.join(dir, 'no-such-model');
  const result = await runCli([
    ...runArgs(SAMPLE_FILE, server.baseUrl, dir),
    '--preset',
    'paper',
    '--embed-model',
    missing,
  ]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /vector model \(M_V\).*no-such-model/s);
  for (const wayOut of [
    'To run without hints: --similarity-k 0.',
    'To use another M_V: --embed-model <hub id or folder>.',
  ])
    assert.ok(result.stderr.includes(wayOut), `the message names ${wayOut}: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /VS Code|mcpo\.similarity\.k|mcpo\.embedModel/);
  assert.deepEqual(
    server.requests.filter((r) => r.method === 'POST').map((r) => r.path),
    [],
    'no question was asked before M_V failed',
  );
  const runs = path.join(dir, 'runs');
  assert.deepEqual(fs.existsSync(runs) ? fs.readdirSync(runs) : [], [], 'no run folder is left');
});

test('--preset paper with a vector model that loads (the tiny fixture): every question runs', async (t) => {
  const server = await openAiTestServerFor(t, { answer: () => '1' });
  const dir = tempDir('mcpo-mv-first-');
  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  const data = path.join(dir, 'ranking.jsonl');
  const ranking = fs
    .readFileSync(SAMPLE_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"ranking"'))
    .slice(0, 3);
  fs.writeFileSync(data, `${ranking.join('\n')}\n`);
  const result = await runCli([
    ...runArgs(data, server.baseUrl, dir),
    ...['--preset', 'paper', '--embed-model', mv, '--scoring-embed-model', mv],
  ]);
  assert.equal(result.code, 0, result.stderr);
  const [runDir] = fs.readdirSync(path.join(dir, 'runs'));
  const records = fs
    .readFileSync(path.join(dir, 'runs', runDir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { status: string; prompt?: { spans: { stage: string }[] } });
  assert.equal(records.length, 3);
  assert.ok(
    records.every(
      (r) => r.status === 'ok' && r.prompt?.spans.some((s) => s.stage === 'similarity'),
    ),
    'every ranking question got its hints',
  );
});
