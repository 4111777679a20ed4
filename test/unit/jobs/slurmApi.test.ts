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
  cpus: 8,
  memoryMb: 65536,
  dependency: 'afterok:11:12',
  array: '0,1',
};
const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(fixturePath('jobs', 'slurm', name), 'utf8'));

test('v0.0.38 request: flat numbers, environment object, GPUs as gres (it has no tres_per_node)', () => {
  const b = buildSubmitBody('v0.0.38', req) as { script: string; job: Record<string, unknown> };
  assert.equal(b.script, req.script);
  assert.deepEqual(b.job.environment, { PATH: '/bin' });
  assert.equal(b.job.time_limit, 30);
  assert.equal(b.job.gres, 'gpu:2');
  assert.equal(b.job.tres_per_node, undefined);
  assert.equal(b.job.cpus_per_task, 8);
  assert.equal(b.job.memory_per_node, 65536);
  assert.equal(b.job.dependency, 'afterok:11:12');
  assert.equal(b.job.array, '0,1');
});

/**
 * Every key we send exists in that version's OpenAPI schema, with a value of the schema's type:
 * v0.0.38 as Slurm 22.05's slurmrestd serves it (GET /openapi/v3), v0.0.39–42 as SchedMD's
 * data_parser declares JOB_DESC_MSG (the fixture names its sources).
 */
test("every submitted key is in the version's schema, with its type", () => {
  const schemas = fixture('job-submit-schemas.json') as Record<
    string,
    { submit: string[]; job: Record<string, string> }
  >;
  const jsonTypes: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    integer: (v) => Number.isInteger(v),
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    array: Array.isArray,
    STRING: (v) => typeof v === 'string',
    UINT16: (v) => Number.isInteger(v),
    UINT32: (v) => Number.isInteger(v),
    UINT32_NO_VAL: (v) => typeof (v as { number?: unknown }).number === 'number',
    MEM_PER_NODE: (v) => typeof (v as { number?: unknown }).number === 'number',
    JOB_DESC_MSG_ENV: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  };
  for (const api of ['v0.0.38', 'v0.0.39', 'v0.0.40', 'v0.0.41', 'v0.0.42']) {
    const schema = schemas[api];
    const body = buildSubmitBody(api, req);
    for (const k of Object.keys(body)) assert.ok(schema.submit.includes(k), `${api}: ${k}`);
    const job = body.job as Record<string, unknown>;
    for (const [k, v] of Object.entries(job)) {
      const type = schema.job[k];
      assert.ok(type, `${api}: job.${k} is not in the schema`);
      assert.ok(jsonTypes[type]?.(v), `${api}: job.${k} = ${JSON.stringify(v)} is not a ${type}`);
    }
    assert.ok(job.gres ?? job.tres_per_node, `${api}: GPUs requested`);
  }
});

test('v0.0.39/40 request: {set, number} numbers, K=V environment, script at top level', () => {
  for (const api of ['v0.0.39', 'v0.0.40']) {
    const b = buildSubmitBody(api, req) as { script: string; job: Record<string, unknown> };
    assert.equal(b.script, req.script);
    assert.deepEqual(b.job.environment, ['PATH=/bin']);
    assert.deepEqual(b.job.time_limit, { set: true, infinite: false, number: 30 });
    assert.deepEqual(b.job.memory_per_node, { set: true, infinite: false, number: 65536 });
    assert.equal(b.job.tres_per_node, 'gres/gpu:2');
    assert.equal(b.job.gres, undefined);
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
      name: 'broken',
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
