/**
 * Jobs inside a real VS Code: submit through the commands (arguments skip the prompts), watch the
 * MCPO Jobs tree report RUNNING → COMPLETED through `mcpo.jobs._snapshot`, open the log, cancel
 * a long job and see CANCELLED. Uses the real Slurm from test/slurm/start.sh when SLURM_URL (or
 * /tmp/mcpo-slurm/env) is available, else the local executor.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobInfo, SlurmJobSettings } from '../../../server/protocol/jobs';
import { repoRoot } from '../../support/paths';
import { evalStep, finetuneStep, mergeAdapterStep, quantizeStep } from '../../slurm/standInSteps';

const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';

interface Snapshot {
  id: string;
  label: string;
  description: string;
  state: string;
  icon: string;
  contextValue: string;
}

interface Target {
  executor: 'slurm' | 'local';
  slurm?: Partial<SlurmJobSettings>;
  label: string;
}

/** The test cluster's SLURM_URL and JWT key, from the environment or test/slurm/start.sh's env file. */
function slurmEnv(): { url: string; key: string } | undefined {
  const env: Record<string, string> = {};
  const file = path.join(process.env.SLURM_RUN_DIR ?? '/tmp/mcpo-slurm', 'env');
  if (fs.existsSync(file))
    for (const l of fs.readFileSync(file, 'utf8').split('\n'))
      if (l.includes('=')) env[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  const url = process.env.SLURM_URL ?? env.SLURM_URL;
  const key = process.env.MCPO_SLURM_JWT_KEY ?? env.MCPO_SLURM_JWT_KEY;
  return url && key && fs.existsSync(key) ? { url, key } : undefined;
}

/** An HS256 JWT as slurmctld's auth/jwt expects. */
function mintToken(keyFile: string, user: string, lifetimeS: number): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: now + lifetimeS, iat: now - 10, sun: user })}`;
  return `${body}.${crypto.createHmac('sha256', fs.readFileSync(keyFile)).update(body).digest('base64url')}`;
}

/** Activates the extension and fails unless the MCPO Jobs view and its commands are wired. */
async function activateJobs(): Promise<void> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  const views =
    (extension.packageJSON as { contributes?: { views?: Record<string, { id: string }[]> } })
      .contributes?.views?.mcpo ?? [];
  assert.ok(
    views.some((v) => v.id === 'mcpo.jobs'),
    'package.json declares no mcpo.jobs view: the MCPO Jobs view is missing',
  );
  const commands = await vscode.commands.getCommands(false);
  assert.ok(
    commands.includes('mcpo.jobs._snapshot'),
    'package.json declares mcpo.jobs but mcpo.jobs._snapshot is not registered: is registerJobs() called from activate()?',
  );
}

async function target(): Promise<Target> {
  const slurm = slurmEnv();
  // CI starts a cluster: there, falling back to the local executor would hide a broken setup.
  if (!slurm && process.env.MCPO_REQUIRE_SLURM)
    throw new Error('MCPO_REQUIRE_SLURM is set but no Slurm was found');
  if (!slurm) return { executor: 'local', label: 'local' };
  await vscode.commands.executeCommand('mcpo.setSlurmToken', mintToken(slurm.key, 'root', 900));
  return {
    executor: 'slurm',
    slurm: { url: slurm.url, user: 'root', apiVersion: 'v0.0.38', partition: 'debug' },
    label: `slurm ${slurm.url}`,
  };
}

/** A finetune spec run by `launcher` (the fake trainer from test/fixtures/jobs, or a sleeper). */
function writeSpec(name: string, launcher: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-itest-jobs-'));
  fs.chmodSync(root, 0o777);
  const data = path.join(root, 'train.jsonl');
  fs.writeFileSync(
    data,
    '{"instruction":"i","input":"","output":"o"}\n{"instruction":"i","input":"","output":"o"}\n',
  );
  const file = path.join(root, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      name,
      base_model: 'org/model',
      dataset: data,
      gpus: 0,
      time_limit: 5,
      launcher,
      output_dir: path.join(root, 'out'),
    }),
  );
  return file;
}

async function snapshot(): Promise<Snapshot[]> {
  return (
    (await vscode.commands.executeCommand<Snapshot[] | undefined>('mcpo.jobs._snapshot')) ?? []
  );
}

/** Polls the tree until the job's state is one of `states`; returns every state seen on the way. */
async function waitForState(
  id: string,
  states: string[],
  timeoutMs: number,
): Promise<{ seen: string[]; item: Snapshot }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const item = (await snapshot()).find((s) => s.id === id);
    if (item && seen.at(-1) !== item.state) seen.push(item.state);
    if (item && states.includes(item.state)) return { seen, item };
    if (Date.now() > deadline)
      throw new Error(
        `job ${id} did not reach ${states.join('/')} in ${timeoutMs} ms (states seen: ${seen.join(' → ') || 'none'})`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function jobRunsToCompletionInTheTree(): Promise<void> {
  await activateJobs();
  const t = await target();
  const fake = path.join(repoRoot, 'test', 'fixtures', 'jobs', 'fake-trainer.sh');
  // Sleeps first so the tree shows the job active before it completes.
  const spec = writeSpec('itest ok', ['bash', '-c', 'sleep 2; exec bash "$0" "$1"', fake]);
  const started = Date.now();
  const job = await vscode.commands.executeCommand<JobInfo | undefined>(
    'mcpo.submitFinetuneJob',
    spec,
    { confirm: true, executor: t.executor, slurm: t.slurm },
  );
  assert.ok(job, `submitting to ${t.label} failed (see the MCPO log)`);
  assert.equal(job.executor, t.executor);
  const { seen, item } = await waitForState(
    job.id,
    ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'],
    25_000,
  );
  console.log(`jobs.itest (${t.label}): states ${seen.join(' → ')} in ${Date.now() - started} ms`);
  assert.equal(item.state, 'COMPLETED', `job ended ${item.state}: ${item.description}`);
  assert.ok(
    seen.some((s) => s === 'RUNNING' || s === 'PENDING'),
    `the tree never showed the job active (states: ${seen.join(' → ')})`,
  );
  assert.equal(item.icon, 'pass');
  assert.equal(item.label, 'finetune: itest ok');
  assert.match(item.description, new RegExp(`^${t.executor} · COMPLETED · \\d+:\\d\\d$`));
  const log = await vscode.commands.executeCommand<string | undefined>('mcpo.jobs.openLog', job.id);
  assert.match(log ?? '', /fake-trainer: done/);
  assert.equal(vscode.window.activeTextEditor?.document.uri.scheme, 'mcpo-job-log');
}

export async function longJobIsCancelledFromTheTree(): Promise<void> {
  await activateJobs();
  const t = await target();
  // Bounded (30 s): a cancelled local job's script can outlive the cancel (LocalExecutor issue).
  const spec = writeSpec('itest slow', ['bash', '-c', 'sleep 30', 'sleeper']);
  const job = await vscode.commands.executeCommand<JobInfo | undefined>(
    'mcpo.submitFinetuneJob',
    spec,
    { confirm: true, executor: t.executor, slurm: t.slurm },
  );
  assert.ok(job, `submitting to ${t.label} failed (see the MCPO log)`);
  const running = await waitForState(job.id, ['RUNNING'], 20_000);
  assert.equal(running.item.contextValue, 'mcpoJob.active');
  await vscode.commands.executeCommand('mcpo.jobs.cancel', job.id);
  const { item } = await waitForState(job.id, ['CANCELLED'], 20_000);
  assert.equal(item.icon, 'circle-slash');
  assert.equal(item.contextValue, 'mcpoJob.ended');
}

interface PipelineResult {
  pipelineId: string;
  jobs: JobInfo[];
}

/**
 * fine-tune → merge-adapter → AWQ → eval of both checkpoints, with the project's stand-ins
 * (test/slurm) and the test server as vLLM, written as a pipeline file a user would hand to
 * "MCPO: Submit Pipeline". The spec asks for no GPU: on Slurm, mcpo.slurm.gpus (2) must reach
 * every step's files and request.
 */
function writePipeline(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-itest-pipe-'));
  fs.chmodSync(root, 0o777);
  fs.writeFileSync(
    path.join(root, 'train.jsonl'),
    '{"instruction":"i","input":"","output":"o"}\n'.repeat(4),
  );
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const file = path.join(root, 'pipeline.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      name: 'itest',
      preset: 'paper',
      defaults: { gpus: 0, time_limit: 5 },
      steps: [
        finetuneStep('ft', 'train.jsonl', 'out/ft'),
        mergeAdapterStep('merged', '${ft.output}', 'out/merged'),
        quantizeStep('awq', '${merged.output}', 'out/awq'),
        evalStep('evalMerged', '${merged.output}', port),
        evalStep('evalAwq', '${awq.output}', port + 1),
      ],
    }),
  );
  return file;
}

export async function pipelineIsSubmittedAndShownAsATree(): Promise<void> {
  await activateJobs();
  const file = writePipeline();
  try {
    await submitAndWatchPipeline(file);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

async function submitAndWatchPipeline(file: string): Promise<void> {
  const t = await target();
  const started = Date.now();
  const result = await vscode.commands.executeCommand<PipelineResult | undefined>(
    'mcpo.submitPipeline',
    file,
    {
      confirm: true,
      executor: t.executor,
      slurm: t.slurm ? { ...t.slurm, gpus: 2 } : undefined,
    },
  );
  assert.ok(result, `submitting the pipeline to ${t.label} failed (see the MCPO log)`);
  assert.deepEqual(
    result.jobs.map((j) => j.pipeline?.step),
    ['ft', 'merged', 'awq', 'evalMerged', 'evalAwq'],
  );
  // One tree item for the pipeline, its steps as children, until every step completed.
  const deadline = Date.now() + 25_000;
  let item: (Snapshot & { children?: Snapshot[] }) | undefined;
  for (;;) {
    item = (await snapshot()).find((s) => s.id === result.pipelineId);
    if (item?.state === 'COMPLETED' || (item && /FAILED|CANCELLED|TIMEOUT/.test(item.state))) break;
    if (Date.now() > deadline)
      throw new Error(`pipeline not done in 25 s: ${JSON.stringify(item?.children ?? item)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`jobs.itest (${t.label}): 5-step pipeline COMPLETED in ${Date.now() - started} ms`);
  const log = await vscode.commands.executeCommand<string | undefined>(
    'mcpo.jobs.openLog',
    result.pipelineId,
  );
  assert.equal(item.state, 'COMPLETED', `pipeline ended ${item.state}:\n${log ?? ''}`);
  assert.equal(item.label, 'pipeline: 5 steps (ft → merged → awq → evalMerged → evalAwq)');
  assert.equal(item.contextValue, 'mcpoPipeline.ended');
  assert.deepEqual(
    item.children?.map((c) => [c.label, c.state]),
    [
      ['ft: finetune', 'COMPLETED'],
      ['merged: merge-adapter', 'COMPLETED'],
      ['awq: quantize', 'COMPLETED'],
      ['evalMerged: eval', 'COMPLETED'],
      ['evalAwq: eval', 'COMPLETED'],
    ],
  );
  if (t.executor === 'slurm') {
    // mcpo.slurm.gpus reached the scheduler (the spec asked for none) and the generated files.
    for (const c of item.children ?? []) assert.match(c.description, /gres:gpu:2/, c.label);
    const evalJob = result.jobs[4];
    assert.match(
      fs.readFileSync(path.join(evalJob.dir, 'job.sh'), 'utf8'),
      /'--tensor-parallel-size' '2'/,
    );
  }
  // Tables 3 and 4 of the pipeline's eval runs, shown where the ablation tables show.
  const tables = await vscode.commands.executeCommand<{ tables: string; runDirs: string[] }>(
    'mcpo.jobs.showTables',
    result.pipelineId,
  );
  assert.equal(tables?.runDirs.length, 2, 'one run per eval step');
  assert.match(tables?.tables ?? '', /Table 4 — data size N and the merge/);
  assert.match(tables?.tables ?? '', /\nN=4 /);
}
