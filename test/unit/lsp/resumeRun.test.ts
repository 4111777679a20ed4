/**
 * After a run with failed questions, VS Code's log has one line per failed question (question,
 * stage, endpoint, error; never a key), and mcpo/resumeRun runs exactly those questions again in
 * the same run folder, as `mcpo run --resume` does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resumeRun, runDataset } from '../../../server/lsp/runs';
import { RunStore } from '../../../server/runs/runStore';
import { openAiTestServerFor } from '../../support/openaiTestServer';
import { fakeRunHost, noProgress, runSettings } from '../../support/runHost';
import { writeSampleLines } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

test('failed questions are logged one by one, and resuming the run asks only them again', async (t) => {
  const server = await openAiTestServerFor(t, { answer: () => '1' });
  const dir = tempDir('mcpo-resume-');
  const file = path.join(dir, 'rows.jsonl');
  const text = `${writeSampleLines(file, '"multiple-choice"', 4).join('\n')}\n`;
  // One question at a time, so the faults below meet the questions in order.
  const settings = runSettings(server.baseUrl, dir, 1);
  const secrets = { llmApiKey: 'sk-very-secret' };
  const logs: string[] = [];
  const host = fakeRunHost(() => text, logs);
  // The endpoint check passes; then the 2nd and 4th questions are refused (not served, no retry).
  server.script(
    { kind: 'none' },
    { kind: 'none' },
    { kind: 'wrongModel' },
    { kind: 'none' },
    { kind: 'wrongModel' },
  );
  const first = await runDataset(
    host,
    { uri: pathToFileURL(file).href, settings, secrets },
    new AbortController().signal,
    noProgress,
  );
  assert.deepEqual({ done: first.done, failed: first.failed }, { done: 2, failed: 2 });
  const runId = path.basename(first.runDir);
  const failedLines = logs.filter((l) => l.includes('failed at'));
  assert.deepEqual(
    failedLines.map((l) => /Q(\d+)/.exec(l)?.[1]).sort(),
    ['2', '4'],
    JSON.stringify(logs),
  );
  for (const line of failedLines) {
    assert.ok(line.startsWith(`[warning] run ${runId}: Q`), line);
    assert.match(line, /\(task\d+\) failed at answer on test-model@127\.0\.0\.1:\d+: .*test-model/);
  }
  assert.ok(!logs.join('\n').includes('sk-very-secret'), 'no key in the log');

  const asked = server.requests.filter((r) => r.method === 'POST').length;
  const resumed = await resumeRun(
    host,
    { runDir: first.runDir, settings, secrets },
    new AbortController().signal,
    noProgress,
  );
  assert.deepEqual(
    { runDir: resumed.runDir, done: resumed.done, failed: resumed.failed },
    { runDir: first.runDir, done: 2, failed: 0 },
  );
  assert.equal(
    server.requests.filter((r) => r.method === 'POST').length - asked,
    2,
    'only the two failed questions were asked again',
  );
  const store = RunStore.open(first.runDir);
  store.close();
  assert.deepEqual(
    [...store.records.values()].map((r) => r.status),
    ['ok', 'ok', 'ok', 'ok'],
  );
  assert.deepEqual(
    fs.readdirSync(settings.runsDir).filter((d) => !d.startsWith('.')),
    [runId],
  );
});
