/**
 * Specs that follow their resources: --gpus regenerates the launcher and FSDP, CPUs, memory,
 * environment (passed through by name, never written into files) and a setup line; the
 * merge-adapter kind; both AWQ back ends; one meaning of the overrides for CLI and VS Code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobStore, readLogs } from '../../../server/jobs/jobStore';
import { submitJob, waitFor } from '../../../server/jobs/jobs';
import { LocalExecutor } from '../../../server/jobs/localExecutor';
import { prepareJob, SpecError } from '../../../server/jobs/specs';
import { applyOverrides, parseOverrides } from '../../../server/jobs/submitSetup';
import { parseYaml, type YamlValue } from '../../../server/jobs/yaml';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDirs';

type Obj = { [k: string]: YamlValue };
const tmp = (): string => tempDir('mcpo-res-');

function finetuneSpec(d: string, extra: Obj = {}): Obj {
  fs.writeFileSync(path.join(d, 'train.jsonl'), '{"instruction":"i","input":"","output":"o"}\n');
  return { name: 'ft', dataset: 'train.jsonl', output_dir: 'out', gpus: 1, ...extra };
}

test('--gpus regenerates the launcher and FSDP; FSDP fields are accepted with 1 GPU', () => {
  const d = tmp();
  const ctx = { specDir: d, jobDir: d, mcpoCommand: [] };
  const spec = finetuneSpec(d, {
    fsdp_offload_params: true,
    fsdp_state_dict_type: 'SHARDED_STATE_DICT',
  });
  const one = prepareJob('finetune', spec, ctx);
  const oneCfg = parseYaml(one.files['config.yml']) as Obj;
  assert.equal(oneCfg.fsdp_version, undefined, 'FSDP needs more than one GPU');
  assert.match(one.files['job.sh'], /'--num_processes' '1'/);
  assert.equal(oneCfg.base_model, 'meta-llama/Meta-Llama-3-70B-Instruct', "the paper's base");

  const four = prepareJob('finetune', applyOverrides(spec, parseOverrides({ gpus: '4' })), ctx);
  const cfg = parseYaml(four.files['config.yml']) as Obj;
  assert.equal(four.gpus, 4);
  assert.match(four.files['job.sh'], /'--num_processes' '4'/);
  assert.equal(cfg.fsdp_version, 2);
  assert.equal((cfg.fsdp_config as Obj).offload_params, true);
  assert.equal((cfg.fsdp_config as Obj).state_dict_type, 'SHARDED_STATE_DICT');
});

test('cpus, memory, env, pass_env and setup are spec fields; secrets are never written', () => {
  const d = tmp();
  const job = prepareJob(
    'finetune',
    finetuneSpec(d, {
      cpus: 16,
      memory_gb: 128,
      env: { HF_HOME: '/scratch/hf', TOKENIZERS_PARALLELISM: false },
      pass_env: ['HF_TOKEN', 'WANDB_API_KEY'],
      setup: ['module load cuda/12.1', 'source ~/venvs/axolotl/bin/activate'],
    }),
    { specDir: d, jobDir: d, mcpoCommand: [] },
  );
  assert.equal(job.cpus, 16);
  assert.equal(job.memoryMb, 131072);
  assert.deepEqual(job.passEnv, ['HF_TOKEN', 'WANDB_API_KEY']);
  assert.match(job.files['job.sh'], /^export HF_HOME='\/scratch\/hf'$/m);
  assert.match(job.files['job.sh'], /^export TOKENIZERS_PARALLELISM='false'$/m);
  assert.match(job.files['job.sh'], /source "\$JOB_DIR\/setup\.sh"/);
  assert.match(
    job.files['setup.sh'],
    /^module load cuda\/12\.1\nsource ~\/venvs\/axolotl\/bin\/activate$/m,
  );
  assert.throws(
    () =>
      prepareJob('finetune', finetuneSpec(d, { env: { HF_TOKEN: 'hf_secret' } }), {
        specDir: d,
        jobDir: d,
        mcpoCommand: [],
      }),
    (e: Error) =>
      e instanceof SpecError &&
      /"env.HF_TOKEN" looks like a secret: list its name under "pass_env"/.test(e.message),
  );
  assert.throws(
    () =>
      prepareJob('finetune', finetuneSpec(d, { pass_env: ['not a name'] }), {
        specDir: d,
        jobDir: d,
        mcpoCommand: [],
      }),
    /field "pass_env\[0\]" must be an environment variable name/,
  );
});

test('a passed-through variable reaches the job, its value is in no job file, a missing one is refused', async () => {
  const d = tmp();
  const secret = `hf_${Date.now()}_secret`;
  process.env.MCPO_TEST_HF_TOKEN = secret;
  const specFile = path.join(d, 'spec.json');
  fs.writeFileSync(
    specFile,
    JSON.stringify(
      finetuneSpec(d, {
        gpus: 0,
        pass_env: ['MCPO_TEST_HF_TOKEN'],
        setup: 'export FROM_SETUP=yes',
        launcher: ['bash', '-c', 'echo "token=${MCPO_TEST_HF_TOKEN:0:3} setup=$FROM_SETUP"', 'x'],
      }),
    ),
  );
  const store = new JobStore(path.join(d, 'jobs'));
  const executor = new LocalExecutor();
  const { record } = await submitJob({
    kind: 'finetune',
    specFile,
    store,
    executor,
    mcpoCommand: [],
  });
  const done = await waitFor(store, record, { executor, intervalMs: 100, timeoutMs: 30_000 });
  assert.equal(done.state, 'COMPLETED', readLogs(done));
  assert.match(readLogs(done), /token=hf_ setup=yes/);
  const files = fs.readdirSync(record.dir, { recursive: true }) as string[];
  for (const f of files) {
    const p = path.join(record.dir, f);
    if (p.includes(`${path.sep}logs${path.sep}`)) continue;
    // The job's wrapper may still be removing its state markers (state/running) as it exits.
    const text = readIfFile(p);
    if (text !== undefined) assert.ok(!text.includes(secret), `${f} holds the secret`);
  }
  assert.ok(!fs.readFileSync(path.join(store.root, `${record.id}.json`), 'utf8').includes(secret));
  delete process.env.MCPO_TEST_HF_TOKEN;
  await assert.rejects(
    submitJob({ kind: 'finetune', specFile, store, executor, mcpoCommand: [] }),
    /pass_env names MCPO_TEST_HF_TOKEN, which is not set in the environment mcpo runs in/,
  );
});

test('merge-adapter: PEFT merge_and_unload to fp16 by default, or axolotl merge-lora', () => {
  const d = tmp();
  fs.mkdirSync(path.join(d, 'adapter'));
  const ctx = { specDir: d, jobDir: path.join(d, 'job'), mcpoCommand: [] };
  const peft = prepareJob(
    'merge-adapter',
    { name: 'm', adapter: 'adapter', output_dir: 'merged' },
    ctx,
  );
  assert.equal(peft.output, path.join(d, 'merged'));
  assert.deepEqual(JSON.parse(peft.files['merge_adapter.json']), {
    base_model: 'meta-llama/Meta-Llama-3-70B-Instruct',
    adapter: path.join(d, 'adapter'),
    output_dir: path.join(d, 'merged'),
  });
  assert.match(peft.files['merge_adapter.py'], /torch_dtype=torch\.float16/);
  assert.match(peft.files['merge_adapter.py'], /\.merge_and_unload\(\)/);
  const ax = prepareJob(
    'merge-adapter',
    {
      name: 'm',
      adapter: 'adapter',
      output_dir: 'merged',
      method: 'axolotl',
      base_model: 'org/base',
    },
    ctx,
  );
  assert.deepEqual(parseYaml(ax.files['merge-lora.yml']), {
    base_model: 'org/base',
    adapter: 'qlora',
    lora_model_dir: path.join(d, 'adapter'),
    output_dir: path.join(d, 'job', 'axolotl-merge'),
    fp16: true,
    bf16: false,
  });
  assert.match(ax.files['job.sh'], /'axolotl' 'merge-lora' "\$JOB_DIR\/merge-lora\.yml"/);
  assert.throws(
    () => prepareJob('merge-adapter', { name: 'm', adapter: 'nope', output_dir: 'o' }, ctx),
    /field "adapter" names .*nope, which does not exist/,
  );
});

test('quantize with llm-compressor: AWQModifier recipe, local calibration rows', () => {
  const d = tmp();
  fs.writeFileSync(path.join(d, 'cal.jsonl'), '{"text":"x"}\n');
  const job = prepareJob(
    'quantize',
    {
      name: 'q',
      model: 'org/m',
      output_dir: 'awq',
      backend: 'llm-compressor',
      calibration_data: 'cal.jsonl',
      calibration_samples: 64,
    },
    { specDir: d, jobDir: d, mcpoCommand: [] },
  );
  const params = JSON.parse(job.files['quantize.json']);
  assert.equal(params.scheme, 'W4A16_ASYM');
  assert.equal(params.calibration.samples, 64);
  assert.match(
    job.files['quantize.py'],
    /AWQModifier\(ignore=\["lm_head"\], scheme=params\["scheme"\], targets=\["Linear"\]\)/,
  );
  assert.match(job.files['quantize.py'], /save_compressed=True/);
});

test('overrides mean the same from the CLI and from VS Code: --time 0 is refused by both', async () => {
  assert.deepEqual(parseOverrides({ gpus: '4', time: '30' }), { gpus: 4, timeLimit: 30 });
  assert.deepEqual(parseOverrides({ gpus: 0 }), { gpus: 0 });
  assert.throws(() => parseOverrides({ time: '0' }), /--time must be at least 1 minute/);
  assert.throws(
    () => parseOverrides({ time: 0 }, { gpus: 'mcpo.slurm.gpus', time: 'mcpo.slurm.timeMinutes' }),
    /mcpo\.slurm\.timeMinutes must be at least 1 minute/,
  );
  assert.throws(() => parseOverrides({ gpus: 'two' }), /--gpus must be a whole number/);
  const d = tmp();
  const specFile = path.join(d, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify(finetuneSpec(d)));
  const cli = await runCli([
    'job',
    'submit',
    'finetune',
    '--spec',
    specFile,
    '--executor',
    'slurm',
    '--slurm-url',
    'http://127.0.0.1:9',
    '--time',
    '0',
    '--jobs-dir',
    path.join(d, 'jobs'),
  ]);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /--time must be at least 1 minute/);
});

/** A file's text, or undefined for a folder or a file that is gone by now. */
function readIfFile(file: string): string | undefined {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
