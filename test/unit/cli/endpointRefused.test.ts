/**
 * An endpoint nothing listens at: the CLI says what that means and how to fix it as a flag (the
 * same fix VS Code words as Configure Endpoints: server/protocol/fixHints.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runArgs, runCli } from '../../support/cli';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { SAMPLE_FILE } from '../../support/sample';
import { vscodeMessage } from '../../../extension/errorActions';
import { endpointAddressFixes } from '../../../server/llm/openaiClient';

test('mcpo run against a refused address asks whether the server runs and names --llm-url', async (t) => {
  const server = await startOpenAiTestServer();
  await server.close();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-refused-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = await runCli([...runArgs(SAMPLE_FILE, server.baseUrl, dir), '--limit', '2']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^endpoint check failed: cannot reach http:\/\/127\.0\.0\.1:\d+\/v1: connect ECONNREFUSED [\d.:]+: is the server running at that address\? Start it there\. To use another address: --llm-url <url>\.$/m,
  );
  assert.doesNotMatch(r.stderr, /Configure Endpoints|mcpo\.llm\.url/);
});

test('VS Code words the same fix as Configure Endpoints; an SLM names --slm-url', () => {
  assert.equal(
    vscodeMessage('cannot reach http://h:1/v1: connect ECONNREFUSED', endpointAddressFixes('llm')),
    'cannot reach http://h:1/v1: connect ECONNREFUSED. To use another address: MCPO: Configure Endpoints.',
  );
  assert.deepEqual(
    endpointAddressFixes('slm').map((f) => (f.kind === 'option' ? f.flag : f.command)),
    ['--slm-url', 'mcpo.configureEndpoints'],
  );
});
