import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalExecutor } from '../../../server/jobs/localExecutor';
import { SlurmExecutor } from '../../../server/jobs/slurmExecutor';
import { makeExecutor } from '../../../server/jobs/submitSetup';
import { JobError } from '../../../server/jobs/jobTypes';

const slurm = { url: 'http://head:6820', user: 'me' };

test('on Windows the local executor refuses with a message that points to WSL', () => {
  assert.throws(
    () => makeExecutor({ executor: 'local', platform: 'win32' }),
    (err: unknown) =>
      err instanceof JobError && /bash script/.test(err.message) && /inside WSL/.test(err.message),
  );
});

test('on Windows a Slurm submission refuses: the job folder would be a C:\\ path the cluster cannot see', () => {
  assert.throws(
    () => makeExecutor({ executor: 'slurm', slurm, platform: 'win32' }),
    (err: unknown) =>
      err instanceof JobError && /job folder/.test(err.message) && /Remote-SSH/.test(err.message),
  );
});

test('on Linux and macOS both executors are made as before', () => {
  for (const platform of ['linux', 'darwin'] as const) {
    assert.ok(makeExecutor({ executor: 'local', platform }) instanceof LocalExecutor);
    assert.ok(makeExecutor({ executor: 'slurm', slurm, platform }) instanceof SlurmExecutor);
  }
});

test('an unknown executor is still a usage error before any platform check', () => {
  assert.throws(
    () => makeExecutor({ executor: 'ssh', platform: 'win32' }),
    /the executor must be slurm or local \(found "ssh"\)/,
  );
});
