import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkRunRecords, findRunDir } from '../../support/checkRunRecords';
import { repoRoot } from '../../support/paths';

const SCRIPT = path.join(repoRoot, 'out', 'test', 'support', 'checkRunRecords.js');

function run(t: { after(fn: () => void): void }, records: object[], rowCount = 3): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-check-run-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'runs', 'r1');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ data: { rowCount } }));
  fs.writeFileSync(
    path.join(dir, 'records.jsonl'),
    records.map((r) => `${JSON.stringify(r)}\n`).join(''),
  );
  return path.join(root, 'runs');
}

const ok = (index: number) => ({ index, status: 'ok', score: 1, warnings: [] });

test('a complete run passes; the script finds the one run in the folder and exits 0', (t) => {
  const runs = run(t, [ok(0), ok(1), ok(2)]);
  assert.deepEqual(checkRunRecords(findRunDir(runs), 3), []);
  const r = spawnSync(process.execPath, [SCRIPT, runs, '3'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /all 3 questions recorded, none failed, every one scored/);
});

test('missing, failed and unscored questions are each named, and the script exits 1', (t) => {
  const runs = run(t, [
    ok(0),
    {
      index: 1,
      status: 'failed',
      score: null,
      error: { stage: 'answer', message: 'HTTP 500' },
      warnings: [],
    },
    { index: 3, status: 'ok', score: null, error: { stage: 'score', message: 'no model' } },
  ]);
  assert.deepEqual(checkRunRecords(findRunDir(runs), 3), [
    '1 of 3 questions not recorded (first: 3)',
    'question 2 failed at answer: HTTP 500',
    'question 4 is not in the dataset',
  ]);
  const r = spawnSync(process.execPath, [SCRIPT, runs, '4'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the run's dataset has 3 rows, expected 4/);
  assert.match(r.stderr, /question 4 was not scored: no model/);
});
