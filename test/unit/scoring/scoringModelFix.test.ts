/**
 * A sent-transformer task NOT SCORED for want of its model: the reason stays short and names no
 * flag; one line says how to have the model, in the words of the surface the user is on (`mcpo
 * run`, `mcpo score`, VS Code), once per table however many tasks or runs need it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scoringRow as row } from './scoringRows';
import { loadError } from '../../../server/embed/modelSource';
import { scoringEmbeddings } from '../../../server/embed/scoringEmbeddings';
import { NativePartError } from '../../../server/native/nativePart';
import { scoringModelFix } from '../../../server/protocol/scoringModelFix';
import type { RunSummary } from '../../../server/runs/report';
import { formatRunsTable } from '../../../server/runs/runReportText';
import { aggregate, scoreSamples, type ScoresReport } from '../../../server/scoring/evaluate';
import { formatScoreTable } from '../../../server/scoring/scoreTable';

const FILES = '(a folder with config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx)';

let tempRoot = '';
let report: ScoresReport;

/** The real reasons: both scoring models are folders that do not exist. */
before(async () => {
  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-fix-'));
  const rows = [
    row('task1', 'sent-transformer'),
    row('task1', 'sent-transformer'),
    row('task2', 'accuracy'),
    row('task19', 'multilingual-sent-transformer'),
  ];
  const embeddings = scoringEmbeddings({
    embedModel: path.join(tempRoot, 'no-minilm'),
    multilingualEmbedModel: path.join(tempRoot, 'no-multilingual'),
    cacheDir: tempRoot,
  });
  const samples = rows.map((r, index) => ({ index, row: r, response: 'a red bag' }));
  report = aggregate(await scoreSamples(samples, { embeddings }));
});

after(() => fs.rmSync(tempRoot, { recursive: true, force: true }));

test('the NOT SCORED reason says why, briefly, and names no flag or setting', () => {
  assert.equal(report.unscored?.length, 2);
  for (const u of report.unscored!) {
    assert.match(
      u.reason,
      /could not be scored: Could not load embedding model ".*": folder .* does not exist\.$/,
    );
    assert.doesNotMatch(u.reason, /--|mcpo\.|To fix/);
  }
});

test("one fix per surface, with that surface's names for the scoring models", () => {
  assert.equal(
    scoringModelFix(report.unscored, 'run'),
    `To score task1, task19, give a local copy of the model ${FILES}: --scoring-embed-model <folder> / --multilingual-embed-model <folder>.`,
  );
  assert.equal(
    scoringModelFix(report.unscored, 'score'),
    `To score task1, task19, give a local copy of the model ${FILES}: --scoring-embed-model <folder> / --multilingual-embed-model <folder>.`,
  );
  assert.equal(
    scoringModelFix(report.unscored?.slice(0, 1), 'vscode'),
    `To score task1, give a local copy of the model ${FILES}: the setting mcpo.scoring.embedModel.`,
  );
});

test('no fix where a local copy would not help or nothing failed to load', () => {
  const native = loadError(
    'Xenova/all-MiniLM-L6-v2',
    new NativePartError('onnxruntime', new Error('no build')).message,
    new NativePartError('onnxruntime', new Error('no build')),
  );
  const unscored = [
    { task_name: 'task1', reason: `sent-transformer could not be scored: ${native.message}` },
    { task_name: 'task7', reason: 'no truth to score against' },
  ];
  assert.equal(scoringModelFix(unscored, 'run'), undefined);
  assert.equal(scoringModelFix(undefined, 'run'), undefined);
});

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

test('mcpo score prints the fix once, under the NOT SCORED lines', () => {
  const text = formatScoreTable(report);
  assert.equal(count(text, 'NOT SCORED task'), 2);
  assert.equal(count(text, 'To score'), 1);
  // K1 of the s22 try: the name mcpo run uses, not score's older --embed-model.
  assert.match(text, /: --scoring-embed-model <folder>/);
  assert.doesNotMatch(text, /[^-]--embed-model|M_V/);
  // K7: worded as mcpo run and mcpo report word it (one function), not "only the N scored tasks".
  const coverage = text.split('\n').find((l) => l.startsWith('overall and track means'));
  assert.match(coverage ?? '', /^overall and track means cover \d+ of \d+ tasks \(2 not scored\)$/);
  const runText = formatRunsTable([
    { label: 'r', dir: '/w/r', questions: 4, expected: 4, failed: 0, cached: 0, report },
  ]);
  assert.ok(runText.includes(`[1] ${coverage}\n`), runText);
});

test('mcpo run / report print it once per table, however many runs need it', () => {
  const summary = (dir: string): RunSummary => ({
    label: dir,
    dir,
    questions: 4,
    expected: 4,
    failed: 0,
    cached: 0,
    report,
  });
  const text = formatRunsTable([summary('/w/runs/a'), summary('/w/runs/b')]);
  // Each reason once, naming both runs (K1 of the s21 try: 3 runs printed it 3 times).
  assert.equal(count(text, 'NOT SCORED task'), 2);
  assert.equal(count(text, '[1] [2] NOT SCORED'), 2);
  assert.equal(count(text, 'To score'), 1);
  assert.match(text, /^To score task1, task19, .*--scoring-embed-model <folder>/m);
  assert.doesNotMatch(text, /mcpo run --embed-model|M_V/);
});
