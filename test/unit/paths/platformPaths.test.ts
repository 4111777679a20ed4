/**
 * Path handling that decides something (cache folder, folder vs hub id, labels, file names),
 * run with Windows' path rules as well as this machine's: the packages ship for win32 too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { defaultModelCacheDir } from '../../../server/models/modelCache';
import { expandHome, looksLikePath, modelName } from '../../../server/embed/modelSource';
import { JobStore } from '../../../server/jobs/jobStore';
import { localLabel } from '../../../server/llm/localLlama';
import { newRunId } from '../../../server/runs/runStore';

const WINDOWS_HOME = 'C:\\Users\\Me';

test('the model cache is ~/.cache/mcpo/models in the home folder of either platform, or MCPO_MODEL_CACHE', () => {
  assert.equal(
    defaultModelCacheDir({}, WINDOWS_HOME, path.win32),
    'C:\\Users\\Me\\.cache\\mcpo\\models',
  );
  assert.equal(defaultModelCacheDir({}, '/home/me', path.posix), '/home/me/.cache/mcpo/models');
  assert.equal(
    defaultModelCacheDir({ MCPO_MODEL_CACHE: 'D:\\models' }, WINDOWS_HOME, path.win32),
    'D:\\models',
  );
  assert.equal(
    defaultModelCacheDir({ MCPO_MODEL_CACHE: '' }, '/home/me', path.posix),
    '/home/me/.cache/mcpo/models',
  );
});

test('an embedding model setting is a folder when only a path can look like it, on Windows too', () => {
  for (const folder of [
    'C:\\models\\minilm',
    'D:/models/minilm',
    '\\\\server\\share\\minilm',
    '.\\minilm',
    '..\\minilm',
    '~\\minilm',
    '~',
  ])
    assert.ok(looksLikePath(folder, path.win32), folder);
  for (const folder of ['/opt/models/minilm', './minilm', '../minilm', '~/minilm'])
    assert.ok(looksLikePath(folder, path.posix), folder);
  // Hub ids have one slash and no drive, on both platforms.
  for (const paths of [path.win32, path.posix]) {
    assert.ok(!looksLikePath('Xenova/all-MiniLM-L6-v2', paths));
    assert.ok(!looksLikePath('Snowflake/snowflake-arctic-embed-m', paths));
  }
});

test('~ expands to the home folder with either slash on Windows', () => {
  assert.equal(
    expandHome('~\\models\\minilm', WINDOWS_HOME, path.win32),
    'C:\\Users\\Me\\models\\minilm',
  );
  assert.equal(
    expandHome('~/models/minilm', WINDOWS_HOME, path.win32),
    'C:\\Users\\Me\\models\\minilm',
  );
  assert.equal(expandHome('~', WINDOWS_HOME, path.win32), 'C:\\Users\\Me');
  assert.equal(expandHome('~/models', '/home/me', path.posix), '/home/me/models');
  assert.equal(
    expandHome('Xenova/all-MiniLM-L6-v2', WINDOWS_HOME, path.win32),
    'Xenova/all-MiniLM-L6-v2',
  );
});

test('a local copy named like a hub repo is recognised by its last segment on Windows too', () => {
  assert.equal(modelName('C:\\models\\all-MiniLM-L6-v2\\'), 'all-MiniLM-L6-v2');
  assert.equal(
    modelName('D:/models/paraphrase-multilingual-MiniLM-L12-v2'),
    'paraphrase-multilingual-MiniLM-L12-v2',
  );
  assert.equal(modelName('Xenova/all-MiniLM-L6-v2'), 'all-MiniLM-L6-v2');
});

test('a local GGUF is labelled by its file name on Windows too; a hub reference as written', () => {
  assert.equal(
    localLabel('C:\\Users\\Me\\models\\qwen.Q4_K_M.gguf', path.win32),
    'local:qwen.Q4_K_M.gguf',
  );
  assert.equal(localLabel('/home/me/models/qwen.gguf', path.posix), 'local:qwen.gguf');
  assert.equal(
    localLabel('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M', path.win32),
    'local:hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M',
  );
});

/** Characters Windows refuses in a file or folder name (besides control characters). */
const NOT_ON_WINDOWS = /[<>:"/\\|?*]/;

test('run folders and job files have names Windows accepts', () => {
  const runId = newRunId(new Date('2026-11-27T15:30:12.345Z'));
  assert.match(runId, /^2026-11-27T15-30-12-[0-9a-f]{4}$/);
  assert.doesNotMatch(runId, NOT_ON_WINDOWS);
  const jobId = new JobStore(path.join('.mcpo', 'jobs')).newId('finetune');
  assert.doesNotMatch(jobId, NOT_ON_WINDOWS);
  assert.doesNotMatch(`${jobId}.json`, NOT_ON_WINDOWS);
});
