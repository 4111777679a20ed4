import { test } from 'node:test';
import assert from 'node:assert/strict';
import { questionOutcome } from '../../../server/protocol/runLabels';
import type { RunSummary } from '../../../server/runs/report';
import { formatRunsTable } from '../../../server/runs/runReportText';
import type * as ViewModel from '../../../media/viewModel';
import { loadSource } from '../panel/loadSource';

const vm = loadSource<typeof ViewModel>('media/viewModel.ts');

test('C1: the progress line says a question was answered but not scored, without the cut reason', () => {
  assert.equal(
    questionOutcome({
      status: 'ok',
      score: null,
      error: { stage: 'score', message: 'sent-transformer could not be scored: Could not load …' },
    }),
    'answered, not scored',
  );
  assert.equal(questionOutcome({ status: 'ok', score: 1 }), 'ok');
  assert.equal(
    questionOutcome({
      status: 'failed',
      score: null,
      error: { stage: 'answer', message: 'HTTP 500' },
    }),
    'failed: HTTP 500',
  );
});

const summary = (notScored: number): RunSummary => ({
  label: 'paper prompts',
  dir: '/r/1',
  questions: 96,
  expected: 96,
  failed: 0,
  notScored,
  tasks: 18,
  cached: 4,
  report: { tasks: [], tracks: {}, overall: null },
});

test('C2: the CLI table counts answered but not scored questions as the report header does', () => {
  assert.match(formatRunsTable([summary(4), summary(0)]), /^answered, not scored +4 +0$/m);
  assert.doesNotMatch(formatRunsTable([summary(0)]), /not scored/, 'no row when all are scored');
});

test("C2: VS Code's run cards carry the not-scored count", () => {
  const run = {
    runDir: '/r/1',
    runId: '2026-11-30T16-33-58-fb7e',
    label: 'paper prompts',
    createdAt: '2026-11-30T16:33:58.000Z',
    dataFile: '/d.jsonl',
    questions: 96,
    failed: 0,
    notScored: 4,
    tasks: 17,
    cached: 4,
    overall: 0.5,
    tracks: {},
  };
  const [row] = vm.sidebarRows([run], null, 10);
  assert.match(row.meta, /^96 questions · 0 failed · 4 not scored · 17 tasks/);
  assert.equal(vm.runRows([run])[0].notScored, ' · 4 not scored');
  assert.equal(vm.runRows([{ ...run, notScored: undefined }])[0].notScored, '');
});
