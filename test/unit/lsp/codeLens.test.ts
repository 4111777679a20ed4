import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLensDensity, rowLenses } from '../../../server/lsp/codeLens';
import { DatasetDocument } from '../../../server/lsp/datasetDocument';
import { LineDocument } from '../../../server/lsp/lineDocument';
import { sampleRows } from '../../support/sample';

const rows = sampleRows().slice(0, 12);
const text = `${rows.map((r) => JSON.stringify(r)).join('\n')}\nnot json\n`;
const dataset = new DatasetDocument(new LineDocument('file:///d.jsonl', 'jsonl', 1, text));
const linesWithLenses = (density: Parameters<typeof rowLenses>[1]): number[] => [
  ...new Set(rowLenses(dataset, density).map((l) => l.range.start.line)),
];

test('lens density: none, the first row of each task, all rows', () => {
  assert.deepEqual(rowLenses(dataset, 'none'), []);
  assert.deepEqual(linesWithLenses('all'), [...rows.keys(), rows.length]);
  const firsts = rows.flatMap((r, i) =>
    rows.findIndex((x) => x.task_name === r.task_name) === i ? [i] : [],
  );
  // The unreadable last line has no task: it keeps its lenses.
  assert.deepEqual(linesWithLenses('firstOfTask'), [...firsts, rows.length]);
  assert.ok(firsts.length < rows.length, 'the slice repeats a task');
  assert.equal(rowLenses(dataset, 'firstOfTask').length, 3 * (firsts.length + 1));
});

test('an unknown density setting falls back to the first row of each task', () => {
  assert.equal(parseLensDensity('all'), 'all');
  assert.equal(parseLensDensity('everything'), 'firstOfTask');
  assert.equal(parseLensDensity(undefined), 'firstOfTask');
});
