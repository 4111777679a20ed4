import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEmbedder } from '../../../server/embed/embedder';
import { scoringEmbeddings } from '../../../server/embed/scoringEmbeddings';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import { scoreSamples, ScoringError, type SampleInput } from '../../../server/scoring/evaluate';
import { loadJapaneseTokenizer } from '../../../server/scoring/official/japaneseTokenizer';
import {
  closeEnginePool,
  engineWorkerPath,
  loadWorkerEmbedder,
  scoreInWorker,
  warmScorersInWorker,
} from '../../../server/workers/enginePool';
import { sampleRows } from '../../support/sample';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';

test.after(() => closeEnginePool());

let fixture: string | undefined;
/** The tiny BERT model the project builds, standing in for the sent-transformer models. */
function tinyModel(): string {
  if (!fixture) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-pool-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    fixture = buildTinyBertFixture(path.join(dir, 'mv'));
  }
  return fixture;
}

/** Each dev row answered three ways: the truth, a near miss, and noise. */
function samples(): SampleInput[] {
  const out: SampleInput[] = [];
  sampleRows().forEach((row, i) => {
    const truth = Array.isArray(row.output_field)
      ? row.output_field.join(', ')
      : String(row.output_field);
    for (const response of [truth, `${truth.slice(1)} x`, '1\n2 の 3'])
      out.push({ index: out.length, row, response: i % 2 ? response : ` ${response}` });
  });
  return out;
}

test('the worker is found beside the module that starts it', () => {
  assert.ok(fs.existsSync(engineWorkerPath()), engineWorkerPath());
});

test('scores from the worker equal scores computed inline, jp-bleu and sent-transformer included', async () => {
  const model = tinyModel();
  const models = { embedModel: model, multilingualEmbedModel: model };
  const inputs = samples();
  const inline = await scoreSamples(inputs, {
    embeddings: scoringEmbeddings(models),
    japaneseTokenizer: loadJapaneseTokenizer,
  });
  const fromWorker = await scoreInWorker(inputs, models);
  assert.ok(inline.some((s) => s.metric === 'jp-bleu' && typeof s.score === 'number'));
  assert.ok(inline.some((s) => s.metric === 'sent-transformer' && typeof s.score === 'number'));
  assert.deepEqual(fromWorker, inline);
});

test('a scoring error in the worker reaches the caller as the same user error', async () => {
  const row: ShopBenchRow = {
    input_field: 'q',
    output_field: [],
    task_name: 'task3',
    task_type: 'retrieval',
    metric: 'hit rate@3',
    is_multiple_choice: false,
    track: 'x',
  };
  await assert.rejects(
    scoreInWorker([{ index: 4, row, response: '1, 2' }]),
    (err: Error) => err instanceof ScoringError && /row 5 \(task3\)/.test(err.message),
  );
});

/** A promise's outcome as data, so a rejection and a result can be compared. */
async function settle<T>(p: Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await p };
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

test('warmed-up scorers score exactly as cold ones; a scorer that cannot load fails the same way, at scoring', async () => {
  const rows = sampleRows().filter(
    (r) => r.metric.includes('sent-transformer') || r.metric === 'jp-bleu',
  );
  const inputs = rows.map((row, index) => ({ index, row, response: String(row.output_field) }));
  const missing = path.join(os.tmpdir(), 'mcpo-no-such-model');
  for (const models of [
    { embedModel: tinyModel(), multilingualEmbedModel: tinyModel() },
    { embedModel: missing, multilingualEmbedModel: missing },
  ]) {
    await closeEnginePool();
    const cold = await settle(scoreInWorker(inputs, models));
    await closeEnginePool();
    await warmScorersInWorker({
      japanese: true,
      embeddingMetrics: ['sent-transformer', 'multilingual-sent-transformer'],
      models,
    });
    const warm = await settle(scoreInWorker(inputs, models));
    assert.deepEqual(warm, cold);
  }
});

test('the vector model in the worker embeds exactly like the model loaded inline', async () => {
  const texts = sampleRows()
    .slice(0, 5)
    .map((r) => r.input_field.slice(0, 200));
  const inline = await loadEmbedder(tinyModel());
  const worker = await loadWorkerEmbedder(tinyModel());
  assert.equal(worker.modelId, inline.modelId);
  assert.deepEqual(await worker.embed(texts), await inline.embed(texts));
  await inline.dispose();
  await assert.rejects(
    loadWorkerEmbedder(path.join(os.tmpdir(), 'no-such-model-folder')),
    /does not exist/,
  );
});
