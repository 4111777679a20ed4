import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetDocument } from '../../../server/lsp/datasetDocument';
import { LineDocument } from '../../../server/lsp/lineDocument';
import { repoRoot } from '../../support/paths';

const SAMPLE = fs
  .readFileSync(path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

test('incremental edits give the same rows and diagnostics as validating the text from scratch', () => {
  const text = SAMPLE.slice(0, 30).join('\n') + '\n';
  const doc = new DatasetDocument(new LineDocument('file:///a.jsonl', 'jsonl', 1, text));
  const edits = [
    {
      range: { start: { line: 4, character: 10 }, end: { line: 6, character: 3 } },
      text: 'x\n\n{"a": 1}\n',
    },
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n\n' },
    { range: { start: { line: 12, character: 0 }, end: { line: 12, character: 5 } }, text: '' },
    {
      range: { start: { line: 20, character: 2 }, end: { line: 25, character: 0 } },
      text: 'not json',
    },
  ];
  edits.forEach((e, i) => doc.applyChanges([e], i + 2));
  const fresh = new DatasetDocument(
    new LineDocument('file:///a.jsonl', 'jsonl', 9, doc.doc.getText()),
  );
  assert.deepEqual(
    doc.rows.map((r) => [r.line, r.character, r.text]),
    fresh.rows.map((r) => [r.line, r.character, r.text]),
  );
  assert.deepEqual(doc.diagnostics(), fresh.diagnostics());
  assert.ok(fresh.diagnostics().some((d) => /^row \d+ is not valid JSON/.test(messageOf(d))));
});

test('JSON arrays: rows spanning lines, and an unclosed array reported where it ends', () => {
  const rows = SAMPLE.slice(4, 6).map((r) => JSON.stringify(JSON.parse(r), null, 2));
  const doc = new DatasetDocument(
    new LineDocument('file:///a.json', 'json', 1, `[\n${rows.join(',\n')}\n]\n`),
  );
  assert.equal(doc.rows.length, 2);
  assert.equal(doc.rows[1].line, 1 + rows[0].split('\n').length);
  assert.deepEqual(doc.diagnostics(), []);
  doc.applyChanges(
    [
      {
        range: {
          start: { line: doc.doc.lineCount - 2, character: 0 },
          end: { line: doc.doc.lineCount - 2, character: 1 },
        },
        text: '',
      },
    ],
    2,
  );
  assert.match(messageOf(doc.diagnostics()[0]), /not closed/);
});

/** LSP 3.18 allows markup in diagnostic messages; the server sends plain strings. */
function messageOf(d: { message: string | { value: string } }): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}
