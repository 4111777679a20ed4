import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareJob, SpecError, validateScript } from '../../../server/jobs/specs';
import { shQuote } from '../../../server/jobs/shell';
import { parseYaml, toYaml, type YamlValue } from '../../../server/jobs/yaml';
import { tempDir } from '../../support/tempDirs';

const dir = (): string => tempDir('mcpo-spec-');
type Obj = { [k: string]: YamlValue };

test('finetune: axolotl YAML parses back and has the documented QLoRA + FSDP keys', () => {
  const d = dir();
  fs.writeFileSync(path.join(d, 'train.jsonl'), '{}\n');
  const job = prepareJob(
    'finetune',
    {
      name: 'ft',
      base_model: 'meta-llama/Meta-Llama-3-70B',
      dataset: 'train.jsonl',
      output_dir: 'out',
      gpus: 4,
    },
    { specDir: d, jobDir: d, mcpoCommand: ['mcpo'] },
  );
  const cfg = parseYaml(job.files['config.yml']) as Obj;
  for (const k of [
    'base_model',
    'load_in_4bit',
    'adapter',
    'lora_r',
    'lora_alpha',
    'lora_dropout',
    'lora_target_linear',
    'sequence_len',
    'micro_batch_size',
    'gradient_accumulation_steps',
    'num_epochs',
    'learning_rate',
    'optimizer',
    'lr_scheduler',
    'datasets',
    'output_dir',
    'bf16',
    'fp16',
    'fsdp_version',
    'fsdp_config',
  ])
    assert.ok(k in cfg, k);
  assert.equal(cfg.adapter, 'qlora');
  assert.equal(cfg.load_in_4bit, true);
  // FSDP2 as axolotl documents it now (docs/multi-gpu.qmd): no deprecated `fsdp:` list.
  assert.equal(cfg.fsdp_version, 2);
  assert.equal(cfg.fsdp, undefined);
  assert.deepEqual(cfg.fsdp_config, {
    offload_params: false,
    cpu_ram_efficient_loading: true,
    auto_wrap_policy: 'TRANSFORMER_BASED_WRAP',
    transformer_layer_cls_to_wrap: 'LlamaDecoderLayer',
    state_dict_type: 'FULL_STATE_DICT',
    reshard_after_forward: true,
  });
  assert.equal(cfg.num_epochs, 3, "the paper's 3 epochs");
  assert.deepEqual(cfg.datasets, [{ path: path.join(d, 'train.jsonl'), type: 'alpaca' }]);
  assert.match(job.files['job.sh'], /^#!\/bin\/bash\n/);
  assert.match(
    job.files['job.sh'],
    /'accelerate' 'launch' '--num_processes' '4' '-m' 'axolotl.cli.train' "\$JOB_DIR\/config.yml"/,
  );
  if (spawnSync('python3', ['-c', 'import yaml']).status === 0) {
    // An independent YAML parser reads the same thing (PyYAML, when the machine has it).
    const py = spawnSync(
      'python3',
      ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
      { input: job.files['config.yml'] },
    );
    assert.deepEqual(JSON.parse(py.stdout.toString()), cfg);
  }
});

test('merge: mergekit SLERP YAML of the reference config, and a t sweep as an array', () => {
  const d = dir();
  const spec = {
    name: 'merge',
    models: ['org/ft-6000', 'org/ft-20000'],
    layer_range: [0, 80],
    t: { self_attn: [0, 0.5, 0.3, 0.7, 1], mlp: [1, 0.5, 0.7, 0.3, 0], default: 0.5 },
    dtype: 'float16',
    output_dir: 'merged',
  };
  const job = prepareJob('merge', spec, { specDir: d, jobDir: d, mcpoCommand: [] });
  assert.deepEqual(parseYaml(job.files['merge.yml']), {
    slices: [
      {
        sources: [
          { model: 'org/ft-6000', layer_range: [0, 80] },
          { model: 'org/ft-20000', layer_range: [0, 80] },
        ],
      },
    ],
    merge_method: 'slerp',
    base_model: 'org/ft-6000',
    parameters: {
      t: [
        { filter: 'self_attn', value: [0, 0.5, 0.3, 0.7, 1] },
        { filter: 'mlp', value: [1, 0.5, 0.7, 0.3, 0] },
        { value: 0.5 },
      ],
    },
    dtype: 'float16',
  });
  const { t: _t, ...rest } = spec;
  const sweep = prepareJob(
    'merge',
    { ...rest, t_sweep: [0.3, 0.5] },
    { specDir: d, jobDir: d, mcpoCommand: [] },
  );
  assert.deepEqual(sweep.array, [0, 1]);
  assert.deepEqual((parseYaml(sweep.files['merge-1.yml']) as Obj).parameters, { t: 0.5 });
});

test('eval: vLLM serves under the run model name on the step GPUs; the run uses the preset', () => {
  const d = dir();
  fs.writeFileSync(path.join(d, 'dev.jsonl'), '{}\n');
  const jobDir = path.join(d, '.mcpo', 'jobs', 'eval-1');
  const base = { name: 'paper-eval', model: 'org/awq', data: 'dev.jsonl', gpus: 4, port: 8123 };
  const job = prepareJob(
    'eval',
    { ...base, preset: 'paper' },
    { specDir: d, jobDir, mcpoCommand: ['mcpo'] },
  );
  const script = job.files['job.sh'];
  // vLLM's engine arguments (docs.vllm.ai): positional model, --quantization, --dtype, --port,
  // --served-model-name, --tensor-parallel-size (the 4 GPUs the step asked for).
  assert.match(
    script,
    /'vllm' 'serve' 'org\/awq' '--quantization' 'awq' '--dtype' 'float16' '--port' '8123' '--served-model-name' 'org\/awq' '--tensor-parallel-size' '4' >/,
  );
  assert.match(
    script,
    /'mcpo' 'run' '--data' '[^']*dev\.jsonl' '--llm-model' 'org\/awq' --out "\$STAGING" '--label' 'paper-eval' '--preset' 'paper' --llm-url/,
  );
  assert.doesNotMatch(script, /--templates/, 'the preset decides the templates');
  // The run lands in the workspace's runs folder, described for Tables 3 and 4.
  assert.match(script, new RegExp(`RUNS='${path.join(d, '.mcpo', 'runs')}'`));
  assert.deepEqual(JSON.parse(job.files['checkpoint.json']), {});
  const described = prepareJob(
    'eval',
    { ...base, gpus: 0, checkpoint: { base_model: 'org/base', n: 6000 } },
    { specDir: d, jobDir, mcpoCommand: ['mcpo'] },
  );
  assert.match(described.files['job.sh'], /'--tensor-parallel-size' '1'/);
  assert.doesNotMatch(described.files['job.sh'], /--preset/);
  assert.deepEqual(JSON.parse(described.files['checkpoint.json']), {
    base_model: 'org/base',
    n: [6000],
  });
  assert.throws(
    () =>
      prepareJob(
        'eval',
        { ...base, checkpoint: { n: 'many' } },
        { specDir: d, jobDir, mcpoCommand: [] },
      ),
    /eval spec: field "checkpoint\.n" must be a whole number of rows/,
  );
});

test('quantize: AutoAWQ parameters as data, not code, with local calibration rows', () => {
  const d = dir();
  fs.writeFileSync(path.join(d, 'train.jsonl'), '{}\n');
  const job = prepareJob(
    'quantize',
    { name: 'q', model: 'org/merged', output_dir: '/tmp/awq', calibration_data: 'train.jsonl' },
    { specDir: d, jobDir: d, mcpoCommand: [] },
  );
  const params = JSON.parse(job.files['quantize.json']);
  assert.deepEqual(params.quant_config, {
    zero_point: true,
    q_group_size: 128,
    w_bit: 4,
    version: 'GEMM',
  });
  assert.deepEqual(params.calibration, {
    path: path.join(d, 'train.jsonl'),
    samples: 128,
    max_seq_len: 512,
  });
  // No hub download at run time: calib_data is the list of local rows.
  assert.match(job.files['quantize.py'], /calib_data=texts,/);
  assert.doesNotMatch(job.files['quantize.py'], /pileval/);
});

test('validation errors name the field', () => {
  const d = dir();
  const ctx = { specDir: d, jobDir: d, mcpoCommand: [] };
  fs.writeFileSync(path.join(d, 'c.jsonl'), '{}\n');
  const bad: [Parameters<typeof prepareJob>[0], Obj, RegExp][] = [
    ['finetune', { name: 'x', base_model: 'a/b', output_dir: 'o' }, /field "dataset" is required/],
    [
      'finetune',
      { name: 'x', base_model: 'a/b', dataset: 'missing.jsonl', output_dir: 'o' },
      /field "dataset" names .*missing\.jsonl, which does not exist/,
    ],
    [
      'quantize',
      { name: 'x', model: 'a/b', output_dir: 'o', calibration_data: 'c.jsonl', w_bit: 'four' },
      /field "w_bit" must be a number/,
    ],
    [
      'quantize',
      { name: 'x', model: 'a/b', output_dir: 'o', calibration_data: 'c.jsonl', learning_rte: 1 },
      /unknown field "learning_rte"/,
    ],
    [
      'quantize',
      { name: 'x', model: 'a/b', output_dir: 'o' },
      /field "calibration_data" is required/,
    ],
    [
      'quantize',
      {
        name: 'x',
        model: 'a/b',
        output_dir: 'o',
        calibration_data: 'c.jsonl',
        backend: 'llm-compressor',
        w_bit: 8,
      },
      /backend llm-compressor uses the W4A16 scheme/,
    ],
    [
      'merge',
      {
        name: 'x',
        models: ['a/b', 'c/d'],
        layer_range: [0, 80],
        t: { mlp: [2], default: 0.5 },
        output_dir: 'o',
      },
      /field "t.mlp" must be/,
    ],
    [
      'merge',
      { name: 'x', models: ['a/b', 'c/d'], layer_range: [80, 0], t: 0.5, output_dir: 'o' },
      /field "layer_range"/,
    ],
    [
      'sweep',
      { name: 'x', from: 'nope.jsonl', sizes: [6000], base_model: 'a/b', output_dir: 'o' },
      /field "from"/,
    ],
  ];
  for (const [kind, spec, re] of bad)
    assert.throws(
      () => prepareJob(kind, spec, ctx),
      (e: Error) => e instanceof SpecError && re.test(e.message),
      `${kind} ${JSON.stringify(spec)}`,
    );
  assert.throws(() => validateScript('echo no shebang'), /shebang/);
});

test('hostile names never become shell code: the generated script runs under bash and the payload stays inert', () => {
  const d = dir();
  const marker = path.join(d, 'PWNED');
  const hostile = [
    `x'; touch ${marker}; echo '`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `a\ntouch ${marker}\n`,
    `"; touch ${marker}; "`,
    `\${IFS}$(touch${'${IFS}'}${marker})`,
  ];
  for (const h of hostile)
    assert.equal(spawnSync('bash', ['-c', `printf %s ${shQuote(h)}`]).stdout.toString(), h);
  const out = path.join(d, 'out');
  for (const h of hostile) {
    // Every user-controlled string at once: name, model path, output dir, launcher argv.
    const modelDir = path.join(d, `m-${h.replace(/\//g, '_')}`);
    fs.mkdirSync(modelDir, { recursive: true });
    fs.writeFileSync(path.join(d, 'data.jsonl'), '{}\n');
    const job = prepareJob(
      'finetune',
      {
        name: h,
        base_model: modelDir,
        dataset: 'data.jsonl',
        output_dir: path.join(out, h.replace(/\//g, '_')),
        gpus: 0,
        launcher: ['printf', '%s|', h],
      },
      { specDir: d, jobDir: d, mcpoCommand: [] },
    );
    fs.writeFileSync(path.join(d, 'job.sh'), job.files['job.sh']);
    fs.writeFileSync(path.join(d, 'config.yml'), job.files['config.yml']);
    const run = spawnSync('bash', [path.join(d, 'job.sh')], { cwd: d });
    assert.equal(run.status, 0, run.stderr.toString());
    assert.equal(run.stdout.toString(), `${h}|${path.join(d, 'config.yml')}|`);
    assert.equal(fs.existsSync(marker), false, `payload ran for ${JSON.stringify(h)}`);
    assert.equal((parseYaml(job.files['config.yml']) as Obj).base_model, modelDir);
  }
});

test('YAML reader: hand-written specs with comments, plain scalars and flow lists', () => {
  const spec = parseYaml(
    '# a spec\nname: ft-6000   # trailing comment\nsizes: [2000, 6000]\nlr: 2e-4\nfsdp: false\nt:\n  self_attn: [0, 0.5, 1]\n  default: 0.5\nmodels:\n- org/a\n- "org/b"\n',
  );
  assert.deepEqual(spec, {
    name: 'ft-6000',
    sizes: [2000, 6000],
    lr: 2e-4,
    fsdp: false,
    t: { self_attn: [0, 0.5, 1], default: 0.5 },
    models: ['org/a', 'org/b'],
  });
  const round: Obj = {
    a: 'x: "y" # z',
    b: ['1', 2, true, null],
    c: [{ d: 1, e: [{ f: 'g' }] }],
    'weird key': {},
  };
  assert.deepEqual(parseYaml(toYaml(round)), round);
});
