/**
 * A new run runs the rows its configuration was built from: the file is read and hashed once,
 * and config.json's sha256 is the hash of exactly the rows that ran, even if the file changes
 * between building the configuration and running it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunStore } from '../../../server/runs/runStore';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { plainRunOptions } from '../../support/plainRun';
import { writeSampleLines } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

test('a run reads the rows its configuration was built from, not a file changed since', async (t) => {
  const server = await startOpenAiTestServer({ models: ['m'], answer: () => '1' });
  t.after(() => server.close());
  const dir = tempDir('mcpo-built-');
  const data = path.join(dir, 'rows.jsonl');
  const lines = writeSampleLines(data, '"multiple-choice"', 3);
  const builtSha = createHash('sha256').update(fs.readFileSync(data)).digest('hex');
  const config = await buildRunConfig(plainRunOptions(data, server.baseUrl, 2));
  assert.equal(config.data.sha256, builtSha);
  fs.writeFileSync(data, `${lines[0]}\n`);

  const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
  });
  assert.equal(result.total, 3);
  assert.equal(result.done, 3);
  const store = RunStore.open(result.dir);
  assert.equal(store.config.data.sha256, builtSha);
  assert.deepEqual([...store.records.keys()].sort(), [0, 1, 2]);
  const posts = server.requests.filter((r) => r.method === 'POST').length;
  assert.equal(posts, 3);
});
