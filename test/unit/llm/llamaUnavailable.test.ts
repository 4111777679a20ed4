/**
 * A machine where llama.cpp cannot load (no build for its OS or CPU): the local model says why
 * and what to use instead, before downloading anything, and runs against a server still work.
 * The failure is played by injecting node-llama-cpp's import, as the real packages load here.
 */
import { fixesOf } from '../../../server/userError';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLocalLlamaClient, DEFAULT_LOCAL_MODEL } from '../../../server/llm/localLlama';
import { setNodeLlamaCppImport } from '../../../server/llm/localModels';
import { LlmError } from '../../../server/llm/types';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { buildTinyLlamaGguf } from '../../support/tinyLlamaGguf';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';

type NodeLlamaCpp = typeof import('node-llama-cpp');

const DATA = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const root = tempDir('mcpo-llama-unavailable-');
const GGUF = buildTinyLlamaGguf(path.join(root, 'tiny.gguf'));
const MACHINE = `${process.platform}-${process.arch}`;

/** node-llama-cpp as on a CPU its prebuilt binaries do not support: the module loads, llama.cpp does not. */
async function withoutBinary(): Promise<NodeLlamaCpp> {
  const real = await import('node-llama-cpp');
  return {
    ...real,
    getLlama: () => Promise.reject(new Error('No prebuilt binary found for this CPU\nmore detail')),
  };
}

after(() => setNodeLlamaCppImport());

function assertUnavailable(err: unknown, model: string, reason: string): true {
  assert.ok(err instanceof LlmError, String(err));
  assert.equal(
    err.message,
    `local model ${model} is unavailable: llama.cpp cannot load on this machine (${MACHINE}: ${reason}). Everything that talks to a server still works: use an OpenAI-compatible server instead`,
  );
  // How to use one is data, worded by each surface (test/unit/protocol/fixHints.test.ts).
  assert.deepEqual(
    err.fixes.map((f) => f.kind === 'command' && f.command),
    ['mcpo.configureEndpoints'],
  );
  return true;
}

test('a binary that cannot load: check() and complete() say why, and the hub model is never downloaded', async () => {
  await setNodeLlamaCppImport(withoutBinary);
  const cacheDir = path.join(root, 'model-cache');
  const client = createLocalLlamaClient({ model: DEFAULT_LOCAL_MODEL, cacheDir });
  await assert.rejects(client.check(), (err) =>
    assertUnavailable(err, DEFAULT_LOCAL_MODEL, 'No prebuilt binary found for this CPU'),
  );
  await assert.rejects(
    client.complete({
      prompt: 'Which one?',
      sampling: { temperature: 0, top_p: 1, max_tokens: 2 },
    }),
    (err) => assertUnavailable(err, DEFAULT_LOCAL_MODEL, 'No prebuilt binary found for this CPU'),
  );
  assert.ok(!fs.existsSync(cacheDir), 'nothing may be downloaded for a model that cannot run');
});

test('a package that cannot even be imported says the same, naming the package it lacks', async () => {
  await setNodeLlamaCppImport(() =>
    Promise.reject(new Error("Cannot find module '@node-llama-cpp/linux-x64'")),
  );
  await assert.rejects(createLocalLlamaClient({ model: GGUF }).check(), (err) =>
    assertUnavailable(err, GGUF, "Cannot find module '@node-llama-cpp/linux-x64'"),
  );
});

test('without llama.cpp, a run against a server answers every question; a local run fails at once with the reason', async (t) => {
  await setNodeLlamaCppImport(withoutBinary);
  const server = await startOpenAiTestServer({ answer: () => '1' });
  t.after(() => server.close());
  const remote = await buildRunConfig({
    data: DATA,
    llm: { url: server.baseUrl, model: 'test-model', concurrency: 2 },
    limit: 4,
  });
  const result = await executeRun(remote, undefined, path.join(root, 'runs'), {
    cacheDir: path.join(root, 'cache'),
  });
  assert.equal(result.done, 4);
  assert.equal(result.failed, 0);

  const local = await buildRunConfig({ data: DATA, llm: { url: 'local', model: GGUF }, limit: 4 });
  await assert.rejects(
    executeRun(local, undefined, path.join(root, 'runs'), { cacheDir: path.join(root, 'cache') }),
    (err: Error) => {
      assert.match(
        err.message,
        /llama\.cpp cannot load on this machine .*use an OpenAI-compatible server instead$/,
      );
      // The endpoint check's error keeps the fix (Configure Endpoints, or the CLI's flags).
      assert.deepEqual(
        fixesOf(err).map((f) => f.kind === 'command' && f.command),
        ['mcpo.configureEndpoints'],
      );
      return true;
    },
  );
});

test('once the binary loads again, the local model works', async () => {
  await setNodeLlamaCppImport();
  await createLocalLlamaClient({ model: GGUF, threads: 1 }).check();
});
