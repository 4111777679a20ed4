/**
 * One default from one home: what the protocol declares is what package.json offers VS Code and
 * what the CLI uses, so a run configured by nothing but defaults is the same run from either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runOptionsFromSettings } from '../../../server/lsp/runs';
import {
  DEFAULT_COT_TASK_TYPES,
  DEFAULT_EMBED_MODEL,
  DEFAULT_LOCAL_MODEL,
  LOCAL_BASE_URL,
} from '../../../server/protocol/settings';
import { TASK_TYPES } from '../../../server/protocol/shopBench';
import { CONFIG_FILE } from '../../../server/runs/runStore';
import { buildRunConfig } from '../../../server/runs/startRun';
import type { RunConfig } from '../../../server/runs/runTypes';
import { runCli } from '../../support/cli';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { contributedSettings, defaultPipelineSettings } from '../../support/contributedSettings';
import { SAMPLE_FILE } from '../../support/sample';

test('package.json offers VS Code the protocol defaults', () => {
  const settings = contributedSettings();
  assert.deepEqual(settings['mcpo.cot.taskTypes'].default, DEFAULT_COT_TASK_TYPES);
  assert.deepEqual(settings['mcpo.cot.taskTypes'].items?.enum, TASK_TYPES);
  assert.equal(settings['mcpo.embedModel'].default, DEFAULT_EMBED_MODEL);
});

test('with nothing set, the CLI and VS Code configure the same pipeline', async (t) => {
  const server = await startOpenAiTestServer();
  t.after(() => server.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-defaults-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The CLI with only an endpoint and a dataset.
  const cli = await runCli([
    'run',
    '--data',
    SAMPLE_FILE,
    '--limit',
    '1',
    '--llm-url',
    server.baseUrl,
    '--llm-model',
    'test-model',
    '--cache',
    path.join(dir, 'cache'),
    '--out',
    path.join(dir, 'runs'),
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  const [runId] = fs.readdirSync(path.join(dir, 'runs')).filter((f) => !f.startsWith('.'));
  const fromCli = JSON.parse(
    fs.readFileSync(path.join(dir, 'runs', runId, CONFIG_FILE), 'utf8'),
  ) as RunConfig;

  // VS Code with only an endpoint set: every other setting is package.json's default, as
  // extension/settings.ts reads them (test/integration/suite/settings.itest.ts checks that).
  const settings = defaultPipelineSettings({
    llm: { url: server.baseUrl, model: 'test-model' },
    runsDir: path.join(dir, 'runs'),
    cacheDir: path.join(dir, 'cache'),
  });
  const fromVsCode = await buildRunConfig(runOptionsFromSettings(settings, SAMPLE_FILE));

  const pipeline = (c: RunConfig) => ({
    templates: c.templates,
    promptParts: c.promptParts,
    cot: c.cot,
    similarity: c.similarity,
    embedModel: c.embedModel,
    answerSampling: c.answerSampling,
    constrained: c.constrained,
    scoring: c.scoring,
    llmMode: c.llm.mode,
  });
  assert.deepEqual(pipeline(fromVsCode), pipeline(fromCli));
  assert.deepEqual(fromCli.cot.taskTypes, DEFAULT_COT_TASK_TYPES);
});

test('with no endpoint set, the CLI and VS Code both run the default local model', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-defaults-local-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // VS Code: no mcpo.llm.url reads as 'local' with no model (settings.itest.ts), which the
  // language server runs as the default local model.
  const settings = defaultPipelineSettings({
    llm: { url: LOCAL_BASE_URL, model: '' },
    runsDir: path.join(dir, 'runs'),
    cacheDir: path.join(dir, 'cache'),
  });
  const fromVsCode = runOptionsFromSettings(settings, SAMPLE_FILE).llm;
  assert.equal(fromVsCode.url, LOCAL_BASE_URL);
  assert.equal(fromVsCode.model, DEFAULT_LOCAL_MODEL);

  // The CLI without --llm-url: the same model, which here (no hub: a closed port stands in for
  // it) it names as the one it cannot download.
  const cli = await runCli(
    [
      'run',
      '--data',
      SAMPLE_FILE,
      '--limit',
      '1',
      '--out',
      path.join(dir, 'runs'),
      '--cache',
      path.join(dir, 'cache'),
    ],
    {
      ...process.env,
      HF_ENDPOINT: 'http://127.0.0.1:9/',
      MODEL_ENDPOINT: '',
      MCPO_MODEL_CACHE: path.join(dir, 'models'),
    },
  );
  assert.equal(cli.code, 1, cli.stderr);
  assert.match(cli.stderr, new RegExp(`model ${escapeRegExp(DEFAULT_LOCAL_MODEL)}`));
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
