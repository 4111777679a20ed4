/**
 * Pipelines: fine-tune ×2 → merge-adapter ×2 → SLERP → AWQ → eval, with stand-in tools that
 * fail unless the step before really ran, and the project's OpenAI-compatible test server
 * standing in for vLLM. Locally (the steps run in order) and on the real test Slurm (each step a
 * job with GPUs requested, afterok dependencies), the eval run is recorded and scored in the
 * workspace's .mcpo/runs. Cancelling a pipeline cascades.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { JobStore, readLogs } from '../../../server/jobs/jobStore';
import { isFinished, type Executor, type JobRecord } from '../../../server/jobs/jobTypes';
import { LocalExecutor } from '../../../server/jobs/localExecutor';
import {
  cancelPipeline,
  loadPipeline,
  refreshPipeline,
  submitPipeline,
} from '../../../server/jobs/pipeline';
import { SlurmExecutor } from '../../../server/jobs/slurmExecutor';
import { PAPER_BASE_MODEL, SpecError } from '../../../server/jobs/specs';
import { runCli } from '../../support/cli';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';
import {
  evalStep,
  finetuneStep,
  mergeAdapterStep,
  mergeStep,
  quantizeStep,
  type Step,
} from '../../slurm/standInSteps';

const NODE = process.execPath;
const OUT = path.join(repoRoot, 'out');
const MCPO = [NODE, path.join(OUT, 'server', 'cli.js')];

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const evalOn = async (id: string, model: string): Promise<Step> =>
  evalStep(id, model, await freePort());

/**
 * The paper's model-side pipeline with stand-in tools, written as a user would (relative paths),
 * evaluated with the paper preset. `evalEach` also evaluates each merged fine-tune: with the
 * SLERP's eval, the sweep behind Table 4.
 */
async function writePipeline(ws: string, gpus: number, evalEach = false): Promise<string> {
  fs.mkdirSync(ws, { recursive: true });
  fs.chmodSync(ws, 0o777);
  const rows = (n: number): string => '{"instruction":"i","input":"","output":"o"}\n'.repeat(n);
  fs.writeFileSync(path.join(ws, 'data-6000.jsonl'), rows(6));
  fs.writeFileSync(path.join(ws, 'data-20000.jsonl'), rows(20));
  const pipeline = {
    name: 'paper',
    preset: 'paper',
    defaults: { gpus, time_limit: 10 },
    steps: [
      finetuneStep('ft6000', 'data-6000.jsonl', 'out/ft6000'),
      finetuneStep('ft20000', 'data-20000.jsonl', 'out/ft20000'),
      mergeAdapterStep('m6000', '${ft6000.output}', 'out/m6000'),
      mergeAdapterStep('m20000', '${ft20000.output}', 'out/m20000'),
      mergeStep('slerp', ['${m6000.output}', '${m20000.output}'], 'out/slerp'),
      quantizeStep('awq', '${slerp.output}', 'out/awq'),
      await evalOn('eval', '${awq.output}'),
      ...(evalEach
        ? [
            await evalOn('eval6000', '${m6000.output}'),
            await evalOn('eval20000', '${m20000.output}'),
          ]
        : []),
    ],
  };
  const file = path.join(ws, 'pipeline.json');
  fs.writeFileSync(file, JSON.stringify(pipeline, null, 2));
  return file;
}

async function waitPipeline(
  store: JobStore,
  id: string,
  executorOf: (r: JobRecord) => Executor,
  timeoutMs: number,
): Promise<JobRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const steps = await refreshPipeline(store, id, executorOf);
    if (steps.every(isFinished)) return steps;
    if (Date.now() > deadline)
      throw new Error(
        `pipeline not done in ${timeoutMs} ms: ${steps.map((s) => `${s.pipeline?.step}=${s.state}`).join(' ')}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The eval steps' runs: one folder each in <workspace>/.mcpo/runs, every question recorded and
 * scored, run with the pipeline's preset, named after the step and described by checkpoint.json.
 */
function assertEvalRuns(ws: string, evals: number): string[] {
  const runs = path.join(ws, '.mcpo', 'runs');
  const dirs = fs.readdirSync(runs).map((d) => path.join(runs, d));
  assert.equal(dirs.length, evals, `${evals} runs in ${runs}`);
  for (const dir of dirs) {
    const records = fs
      .readFileSync(path.join(dir, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { score?: unknown; error?: unknown; response?: unknown });
    assert.equal(records.length, 3);
    for (const r of records) assert.notEqual(r.score, undefined, JSON.stringify(r).slice(0, 300));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(config.preset, 'paper', "the pipeline's preset, not hard-coded templates");
    assert.match(config.label, /^paper-eval/);
  }
  const awq = dirs.find((d) =>
    /"out\/awq"|out\/awq/.test(fs.readFileSync(path.join(d, 'config.json'), 'utf8')),
  );
  assert.ok(awq, 'a run served the AWQ weights');
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(awq, 'checkpoint.json'), 'utf8')), {
    base_model: PAPER_BASE_MODEL,
    n: [6, 20],
    merge: 'slerp',
    quantization: 'awq (autoawq)',
    pipeline: JSON.parse(fs.readFileSync(path.join(awq, 'checkpoint.json'), 'utf8')).pipeline,
    steps: ['ft6000', 'm6000', 'ft20000', 'm20000', 'slerp', 'awq', 'eval'],
  });
  return dirs;
}

async function runPipeline(
  t: { diagnostic: (m: string) => void },
  label: string,
  ws: string,
  executor: Executor,
  executorOf: (r: JobRecord) => Executor,
  evalEach = false,
): Promise<{ id: string; steps: JobRecord[] }> {
  const store = new JobStore(path.join(ws, '.mcpo', 'jobs'));
  const file = await writePipeline(ws, executor instanceof SlurmExecutor ? 2 : 0, evalEach);
  const t0 = Date.now();
  const p = await submitPipeline({ file, store, executor, mcpoCommand: MCPO });
  const steps = await waitPipeline(store, p.id, executorOf, 180_000);
  for (const s of steps)
    assert.equal(s.state, 'COMPLETED', `${s.pipeline?.step}: ${readLogs(s).slice(-2000)}`);
  assert.deepEqual(
    steps.map((s) => s.pipeline?.step),
    [
      'ft6000',
      'ft20000',
      'm6000',
      'm20000',
      'slerp',
      'awq',
      'eval',
      ...(evalEach ? ['eval6000', 'eval20000'] : []),
    ],
  );
  assert.deepEqual(steps.find((s) => s.pipeline?.step === 'slerp')?.pipeline?.after, [
    'm6000',
    'm20000',
  ]);
  // References became absolute paths of the earlier outputs, never hub ids.
  const merge = fs.readFileSync(path.join(steps[4].dir, 'merge.yml'), 'utf8');
  assert.match(merge, new RegExp(`model: "${path.join(ws, 'out', 'm6000')}"`));
  // AWQ calibrated on the first fine-tune's rows by default.
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(steps[5].dir, 'quantize.json'), 'utf8')).calibration.path,
    path.join(ws, 'data-6000.jsonl'),
  );
  assertEvalRuns(ws, evalEach ? 3 : 1);
  t.diagnostic(
    `${label}: ${steps.length}-step pipeline submit→all COMPLETED in ${Date.now() - t0} ms`,
  );
  return { id: p.id, steps };
}

test('pipeline file errors name the step and field; references must point backwards', () => {
  const d = tempDir('mcpo-pipe-');
  const write = (p: unknown): string => {
    const f = path.join(d, `${crypto.randomBytes(3).toString('hex')}.json`);
    fs.writeFileSync(f, JSON.stringify(p));
    return f;
  };
  const bad: [unknown, RegExp][] = [
    [{ steps: [] }, /field "steps" must be a non-empty list/],
    [{ steps: [{ id: 'a', kind: 'train' }] }, /steps\[0\] \(a\)\.kind must be one of/],
    [
      {
        steps: [
          { id: 'a', kind: 'quantize', spec: { model: '${b.output}' } },
          { id: 'b', kind: 'finetune' },
        ],
      },
      /steps\[0\] \(a\)\.spec\.model: "\$\{b\.output\}" names no earlier step/,
    ],
    [
      { steps: [{ id: 'a', kind: 'finetune', spec: { x: '${a.dir}' } }] },
      /is not a reference like/,
    ],
  ];
  for (const [p, re] of bad)
    assert.throws(
      () => loadPipeline(write(p)),
      (e: Error) => e instanceof SpecError && re.test(e.message),
    );
});

test('local executor: the paper pipeline runs in order; its evals make Table 4 in mcpo report', async (t) => {
  const ws = tempDir('mcpo-pipe-');
  t.after(() => fs.rmSync(ws, { recursive: true, force: true }));
  const local = new LocalExecutor();
  const { id } = await runPipeline(t, 'local', ws, local, () => local, true);
  const runsDir = path.join(ws, '.mcpo', 'runs');
  const report = await runCli(['report', id, '--runs-dir', runsDir, '--resamples', '50']);
  assert.equal(report.code, 0, report.stderr);
  const table4 = report.stdout.slice(report.stdout.indexOf('Table 4'));
  assert.match(table4, /^Table 4 — data size N and the merge/);
  // By N, the merge last; the data files hold 6 and 20 rows.
  const rows = table4.split('\n').slice(2, 5);
  assert.match(rows[0], /^N=6\s+1\.0000|^N=6\s+0\.\d{4}/);
  assert.match(rows[1], /^N=20\s/);
  assert.match(rows[2], /^SLERP of N=6 \+ N=20, awq \(autoawq\)\s.*[+-]0\.0000/);
  assert.doesNotMatch(report.stdout, /Table 3/, 'one base model: no model selection table');
  t.diagnostic(table4.trim());

  // Two base models make Table 3: the same run described as another model's.
  const [a] = fs.readdirSync(runsDir).map((d) => path.join(runsDir, d));
  const b = path.join(ws, 'other-model-run');
  fs.cpSync(a, b, { recursive: true });
  fs.writeFileSync(
    path.join(b, 'checkpoint.json'),
    JSON.stringify({ base_model: 'meta-llama/Meta-Llama-3-8B-Instruct', n: [6] }),
  );
  const selection = await runCli(['report', a, b, '--resamples', '50']);
  assert.equal(selection.code, 0, selection.stderr);
  assert.match(
    selection.stdout,
    /Table 3 — model selection[^\n]*\narm\s+multiple-choice\s+delta \[95% CI\]\nmeta-llama\/Meta-Llama-3-70B-Instruct \(/,
  );
  assert.match(
    selection.stdout,
    /\nmeta-llama\/Meta-Llama-3-8B-Instruct \(fine-tuned N=6\)\s+\d\.\d{4}\s+\+0\.0000/,
  );
});

test('cancel cascades: every step left is cancelled, dependents never start', async (t) => {
  const ws = tempDir('mcpo-pipe-');
  t.after(() => fs.rmSync(ws, { recursive: true, force: true }));
  fs.writeFileSync(path.join(ws, 'd.jsonl'), '{"instruction":"i","input":"","output":"o"}\n');
  const file = path.join(ws, 'p.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      steps: [
        {
          id: 'slow',
          kind: 'finetune',
          spec: {
            dataset: 'd.jsonl',
            output_dir: 'o1',
            gpus: 0,
            launcher: ['bash', '-c', 'sleep 60', 'x'],
          },
        },
        {
          id: 'next',
          kind: 'merge-adapter',
          spec: { adapter: '${slow.output}', output_dir: 'o2', gpus: 0, python: ['true'] },
        },
      ],
    }),
  );
  const store = new JobStore(path.join(ws, '.mcpo', 'jobs'));
  const local = new LocalExecutor();
  const p = await submitPipeline({ file, store, executor: local, mcpoCommand: MCPO });
  const cancelled = await cancelPipeline(store, p.id, () => local);
  assert.deepEqual(
    cancelled.map((r) => r.pipeline?.step),
    ['slow', 'next'],
  );
  const steps = await waitPipeline(store, p.id, () => local, 30_000);
  assert.deepEqual(
    steps.map((s) => s.state),
    ['CANCELLED', 'CANCELLED'],
  );
  assert.equal(fs.existsSync(path.join(ws, 'o2')), false, 'the dependent never ran');
});

/** The test cluster from test/slurm/start.sh. */
function slurmEnv(): Record<string, string> | undefined {
  const file = path.join(process.env.SLURM_RUN_DIR ?? '/tmp/mcpo-slurm', 'env');
  if (!fs.existsSync(file)) return undefined;
  const env: Record<string, string> = {};
  for (const l of fs.readFileSync(file, 'utf8').split('\n'))
    if (l.includes('=')) env[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  return env.SLURM_URL && env.MCPO_SLURM_JWT_KEY ? env : undefined;
}

function mintToken(keyFile: string, user: string): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: now + 600, iat: now - 10, sun: user })}`;
  return `${body}.${crypto.createHmac('sha256', fs.readFileSync(keyFile)).update(body).digest('base64url')}`;
}

const env = slurmEnv();
test(
  'Slurm: the paper pipeline as real jobs with GPUs and afterok dependencies, eval recorded and scored',
  {
    skip:
      env || process.env.MCPO_REQUIRE_SLURM
        ? false
        : 'no Slurm: run `bash test/slurm/start.sh /tmp/mcpo-slurm` to run the real-Slurm pipeline',
  },
  async (t) => {
    if (!env) assert.fail('MCPO_REQUIRE_SLURM is set but no Slurm was found');
    const ws = fs.mkdtempSync(path.join(env.SLURM_RUN_DIR, 'jobs', 'pipe-'));
    const token = mintToken(env.MCPO_SLURM_JWT_KEY, 'root');
    const slurm = new SlurmExecutor({
      url: env.SLURM_URL,
      api: 'v0.0.38',
      user: 'root',
      partition: 'debug',
      token: () => token,
    });
    const { steps } = await runPipeline(t, 'slurm', ws, slurm, () => slurm);
    const conf = { ...process.env, SLURM_CONF: path.join(env.SLURM_RUN_DIR, 'etc', 'slurm.conf') };
    for (const s of steps) {
      assert.equal(s.tres, 'gres:gpu:2', `${s.pipeline?.step} asked Slurm for 2 GPUs`);
      const shown = spawnSync('scontrol', ['show', 'job', String(s.slurm?.jobId)], {
        env: conf,
      }).stdout.toString();
      assert.match(shown, /TresPerNode=gres:gpu:2/);
      // squeue shows the step by name (spec name first), the record id after it.
      assert.match(shown, new RegExp(`JobName=paper-${s.pipeline?.step}:${s.id}\\s`));
    }
    // afterok as Slurm holds it: the SLERP job depended on both merges.
    const slerp = steps[4];
    const shown = spawnSync('scontrol', ['show', 'job', String(slerp.slurm?.jobId)], {
      env: conf,
    }).stdout.toString();
    const ids = [steps[2], steps[3]].map((s) => s.slurm?.jobId);
    assert.match(
      shown,
      new RegExp(
        `Dependency=(\\(null\\)|afterok:${ids[0]}.*afterok:${ids[1]}|afterok:${ids[0]}:${ids[1]})`,
      ),
    );
  },
);
