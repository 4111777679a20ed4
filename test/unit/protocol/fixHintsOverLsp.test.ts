/**
 * An error the engine throws reaches VS Code's error handling with its fixes, over the real
 * protocol: the language server runs as VS Code starts it (its own process, JSON-RPC on stdio),
 * its error response (or the failed run's state notification) carries the fixes as data, and the
 * extension's functions (extension/errorActions.ts, free of `vscode`) word them and offer them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ResponseError } from 'vscode-jsonrpc/node';
import {
  RunDatasetRequest,
  RunStateNotification,
  SubmitJobRequest,
} from '../../../server/protocol/messages';
import type { RunStateParams } from '../../../server/protocol/runs';
import type { SlurmJobSettings } from '../../../server/protocol/jobs';
import {
  errorActions,
  fixesOfError,
  fixOfAction,
  vscodeMessage,
} from '../../../extension/errorActions';
import { startLspServer, type LspServer } from '../../support/lspServer';
import { openAiTestServerFor } from '../../support/openaiTestServer';
import { defaultPipelineSettings } from '../../support/contributedSettings';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

const tmp = tempDir('mcpo-fix-lsp-');
let server: LspServer;
const states: RunStateParams[] = [];

before(async () => {
  server = startLspServer({ ...process.env, MCPO_SLURM_TOKEN: '' });
  server.conn.onNotification(RunStateNotification, (p: RunStateParams) => {
    states.push(p);
  });
  await server.initialize();
});

after(() => server.stop());

/** The error a request was answered with: a ResponseError, as the extension's client gets it. */
async function responseError(request: Promise<unknown>): Promise<ResponseError<unknown>> {
  try {
    await request;
  } catch (err) {
    assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${String(err)}`);
    return err;
  }
  assert.fail('the request succeeded');
}

/** The error of a Slurm submission with these cluster settings (it fails before reading its spec). */
function submitToSlurm(slurm?: SlurmJobSettings): Promise<ResponseError<unknown>> {
  return responseError(
    server.conn.sendRequest(SubmitJobRequest, {
      jobsDir: path.join(tmp, 'jobs'),
      kind: 'finetune',
      specFile: path.join(tmp, 'unused.json'),
      executor: 'slurm',
      ...(slurm ? { slurm } : {}),
    }),
  );
}

test('no Slurm URL: the response carries the option, VS Code words it as the setting and offers to open it', async () => {
  const err = await submitToSlurm();
  const fixes = fixesOfError(err);
  assert.equal(fixes.length, 1);
  assert.equal(fixes[0].kind === 'option' && fixes[0].setting, 'mcpo.slurm.url');
  const message = vscodeMessage(err.message, fixes);
  assert.equal(
    message,
    "Submitting the finetune job failed: no Slurm URL (slurmrestd's address, e.g. http://head:6820). To give it: setting mcpo.slurm.url.",
  );
  const actions = errorActions('mcpo.submitJob', message, fixes);
  assert.deepEqual(actions, ['Open mcpo.slurm.url', 'Retry', 'Show Logs']);
  assert.equal(fixOfAction(actions[0], fixes), fixes[0]);
});

test('no Slurm token: the response carries the command, offered as its button', async () => {
  const err = await submitToSlurm({ url: 'http://127.0.0.1:9', user: 'u', apiVersion: 'v0.0.38' });
  const fixes = fixesOfError(err);
  assert.match(err.message, /no Slurm token/);
  assert.deepEqual(errorActions('mcpo.submitJob', err.message, fixes).slice(0, 1), [
    'Set Slurm Token',
  ]);
  assert.deepEqual(fixOfAction('Set Slurm Token', fixes), {
    kind: 'command',
    command: 'mcpo.setSlurmToken',
    title: 'Set Slurm Token',
  });
});

test('a run whose M_V will not load: the response and the failed state both carry the settings that fix it', async (t) => {
  const llm = await openAiTestServerFor(t, { answer: () => '1' });
  const ranking = fs
    .readFileSync(SAMPLE_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"ranking"'))
    .slice(0, 2);
  const data = path.join(tmp, 'ranking.jsonl');
  fs.writeFileSync(data, `${ranking.join('\n')}\n`);
  const settings = {
    ...defaultPipelineSettings({
      llm: { url: llm.baseUrl, model: 'test-model' },
      runsDir: path.join(tmp, 'runs'),
      cacheDir: path.join(tmp, 'cache'),
    }),
    embedModel: path.join(tmp, 'no-such-model'),
    similarityK: 3,
  };
  const err = await responseError(
    server.conn.sendRequest(RunDatasetRequest, {
      uri: pathToFileURL(data).href,
      settings,
      secrets: {},
    }),
  );
  const fixes = fixesOfError(err);
  const message = vscodeMessage(err.message, fixes);
  assert.match(message, /no-such-model/);
  assert.ok(
    message.endsWith(
      'To run without hints: setting mcpo.similarity.k to 0. To use another M_V: setting mcpo.embedModel.',
    ),
    message,
  );
  assert.doesNotMatch(message, /--|VS Code/);
  assert.deepEqual(errorActions('mcpo.runDataset', message, fixes), [
    'Open mcpo.similarity.k',
    'Open mcpo.embedModel',
    'Retry',
    'Show Logs',
  ]);
  // The status item learns of it from the run's state, sent before the response.
  const failed = states.find((s) => s.state === 'failed');
  assert.deepEqual(failed?.fixes, fixes);
});
