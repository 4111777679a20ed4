import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  buildSubmitBody,
  parseErrors,
  parseJobs,
  parseSubmit,
} from '../../../server/jobs/slurmApi';
import { fixturePath } from '../../support/paths';

const req = {
  script: '#!/bin/bash\ntrue',
  name: 'n',
  partition: 'gpu',
  cwd: '/w',
  stdout: '/w/%j.out',
  stderr: '/w/%j.err',
  environment: { PATH: '/bin' },
  timeLimit: 30,
  gpus: 2,
  array: '0,1',
};
const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(fixturePath('jobs', 'slurm', name), 'utf8'));

test('v0.0.38 request: flat numbers, environment object, 22.05 gres form', () => {
  const b = buildSubmitBody('v0.0.38', req) as { script: string; job: Record<string, unknown> };
  assert.equal(b.script, req.script);
  assert.deepEqual(b.job.environment, { PATH: '/bin' });
  assert.equal(b.job.time_limit, 30);
  assert.equal(b.job.tres_per_node, 'gres:gpu:2');
  assert.equal(b.job.array, '0,1');
});

test('v0.0.39/40 request: {set, number} numbers, K=V environment, script at top level', () => {
  for (const api of ['v0.0.39', 'v0.0.40']) {
    const b = buildSubmitBody(api, req) as { script: string; job: Record<string, unknown> };
    assert.equal(b.script, req.script);
    assert.deepEqual(b.job.environment, ['PATH=/bin']);
    assert.deepEqual(b.job.time_limit, { set: true, infinite: false, number: 30 });
    assert.equal(b.job.tres_per_node, 'gres/gpu:2');
  }
});

test('v0.0.41/42 request: script inside job', () => {
  const b = buildSubmitBody('v0.0.42', req) as { script?: string; job: Record<string, unknown> };
  assert.equal(b.script, undefined);
  assert.equal(b.job.script, req.script);
});

test('v0.0.38 recorded job response: string state, raw wait status', () => {
  const jobs = parseJobs('v0.0.38', fixture('v0.0.38-job-failed.json'));
  assert.deepEqual(jobs, [
    {
      jobId: 7,
      arrayJobId: 0,
      arrayTaskId: null,
      state: 'FAILED',
      reason: 'NonZeroExitCode',
      exitCode: 3,
    },
  ]);
});

test('v0.0.40 and v0.0.42 job responses: state lists, exit_code objects, array tasks', () => {
  const j40 = parseJobs('v0.0.40', fixture('v0.0.40-jobs-array.json'));
  assert.deepEqual(
    j40.map((j) => [j.jobId, j.arrayJobId, j.arrayTaskId, j.state, j.exitCode]),
    [
      [11, 10, 1, 'RUNNING', 0],
      [10, 10, 0, 'COMPLETED', 0],
    ],
  );
  const j42 = parseJobs('v0.0.42', fixture('v0.0.42-job-failed.json'));
  assert.deepEqual(
    j42.map((j) => [j.jobId, j.state, j.exitCode, j.reason]),
    [[21, 'FAILED', 2, 'NonZeroExitCode']],
  );
});

test('submit and error shapes of both generations', () => {
  assert.equal(parseSubmit({ job_id: 5, errors: [] }), 5);
  assert.equal(parseSubmit(fixture('v0.0.42-submit.json')), 31);
  assert.deepEqual(
    parseErrors({ errors: [{ error_code: 2000, error: 'Invalid partition name specified' }] }),
    [{ code: 2000, message: 'Invalid partition name specified' }],
  );
  assert.deepEqual(parseErrors(fixture('v0.0.42-error-partition.json')), [
    { code: 2000, message: 'Invalid partition name specified: Batch job submission failed' },
  ]);
});
