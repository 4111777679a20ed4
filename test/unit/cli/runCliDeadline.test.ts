import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runArgs, runCli } from '../../support/cli';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';

test('a CLI that does not exit is killed at the deadline and named, instead of hanging the test', async (t) => {
  const server = await startOpenAiTestServer();
  t.after(() => server.close());
  server.script({ kind: 'hang' }); // the endpoint check never answers
  const dir = tempDir('mcpo-deadline-');
  const args = runArgs(
    path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl'),
    server.baseUrl,
    dir,
  );
  // The CLI reached the server (so it hung there, not in start-up); watched from the start, and
  // the deadline is wide enough for a start-up on a loaded two-core machine.
  const reached = server.waitForRequests(1, 10_000);
  await assert.rejects(
    runCli(args, process.env, 10_000),
    /mcpo run .* did not exit within 10000 ms/,
  );
  await reached;
});
