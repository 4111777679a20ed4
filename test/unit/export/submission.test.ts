/**
 * `mcpo export submission` of a paper-preset run: the folder imports under python3 with stubbed
 * vllm and sentence_transformers; driven the way the starter kit's local_evaluation.py drives a
 * model (rows grouped by task_type, batches of get_batch_size(), {"prompt": [...]} and
 * is_multiple_choice, nothing else), it sends exactly the engine's final prompts with the run's
 * sampling. Bad run folders, configurations and output folders fail with errors that name them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  exportSubmission,
  exportSubmissionRequest,
  formatAgreement,
  suggestedFolder,
  type SubmissionConfig,
} from '../../../server/export/submission';
import { DEFAULT_LOCAL_MODEL } from '../../../server/protocol/settings';
import { INFERENCE_RULES } from '../../../server/lsp/taskTypeRules';
import { assemblePrompt } from '../../../server/pipeline/assemble';
import { rankOptions, similarityBlock, splitQuestion } from '../../../server/pipeline/similarity';
import { applyTemplate } from '../../../server/pipeline/templates';
import type { RunConfig } from '../../../server/runs/runTypes';
import { buildRunConfig } from '../../../server/runs/startRun';
import { runCli } from '../../support/cli';
import { SAMPLE_FILE, sampleRows } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';
import { runPythonJson } from './python';

const QUERY = 'Represent this sentence for searching relevant passages: ';
const COT = 'Stub reasoning.';

/** The stub M_V's vector, written the same way in the Python stub below. */
function stubVector(text: string): Float32Array {
  return new Float32Array([text.length % 7, [...text].filter((c) => c === 'e').length % 5]);
}

/** Stand-ins for the starter kit's base class, vLLM (recording every call) and sentence-transformers. */
const STUBS: Record<string, string> = {
  'models/base_model.py': 'class ShopBenchBaseModel:\n    def __init__(self):\n        pass\n',
  'vllm/__init__.py': `CALLS = []
ENGINES = []
class SamplingParams:
    def __init__(self, **kw):
        self.kw = kw
class _Out:
    def __init__(self, text):
        self.outputs = [type("C", (), {"text": text})()]
class _Tokenizer:
    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False):
        assert tokenize is False and add_generation_prompt is True and len(messages) == 1
        return "<|user|>" + messages[0]["content"] + "<|assistant|>"
class LLM:
    def __init__(self, model, **kw):
        self.model = model
        ENGINES.append({"model": model, "kw": kw})
    def get_tokenizer(self):
        return _Tokenizer()
    def generate(self, prompts, params, use_tqdm=True):
        assert all(isinstance(p, str) for p in prompts)
        CALLS.append({"model": self.model, "prompts": list(prompts), "params": params.kw})
        return [_Out(" ${COT}\\n" if "chain of thought step-by-step" in p.lower() else "1") for p in prompts]
`,
  'sentence_transformers/__init__.py': `class SentenceTransformer:
    prompts = {"query": ${JSON.stringify(QUERY)}}
    default_prompt_name = None
    def __init__(self, model):
        self.model = model
    def encode(self, texts, prompt=None):
        return [[len((prompt or "") + t) % 7, ((prompt or "") + t).count("e") % 5] for t in texts]
`,
};

/** The starter kit's local_evaluation.py generate_model_outputs, over the exported model. */
const EVALUATE = `import json, sys, os
sys.path.insert(0, os.getcwd())
import vllm
from models.user_config import UserModel
model = UserModel()
rows = json.load(open(INPUT["rows"], encoding="utf-8"))
out = []
for task_type in sorted(set(r["task_type"] for r in rows)):
    group = [r for r in rows if r["task_type"] == task_type]
    size = model.get_batch_size()
    for start in range(0, len(group), size):
        batch = group[start:start + size]
        mc = task_type == "multiple-choice"
        answers = model.batch_predict({"prompt": [r["input_field"] for r in batch]}, mc)
        assert len(answers) == len(batch)
        types = model.task_types([r["input_field"] for r in batch], mc)
        for r, a, t in zip(batch, answers, types):
            out.append({"prompt": r["input_field"], "answer": a, "type": t})
print(json.dumps({"rows": out, "calls": vllm.CALLS, "engines": vllm.ENGINES, "batch": model.get_batch_size()}))
`;

interface Evaluated {
  rows: { prompt: string; answer: string; type: string }[];
  calls: { model: string; prompts: string[]; params: Record<string, unknown> }[];
  engines: { model: string; kw: Record<string, unknown> }[];
  batch: number;
}

/** Runs EVALUATE in the exported folder with the stubs beside it. */
function evaluate(out: string): Evaluated {
  return runPythonJson<Evaluated>(EVALUATE, { rows: sampleRows() }, (dir) => {
    fs.cpSync(out, dir, { recursive: true });
    for (const [name, text] of Object.entries(STUBS)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
  });
}

/** A run folder holding this configuration (no records: nothing has to run for an export). */
function runFolder(config: RunConfig): string {
  const dir = tempDir('mcpo-export-run-');
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(dir, 'records.jsonl'), '');
  return dir;
}

function paperRun(): Promise<RunConfig> {
  return buildRunConfig({
    data: SAMPLE_FILE,
    preset: 'paper',
    llm: { url: 'http://gpu:8000/v1', model: 'llama3-70B-awq' },
  });
}

test("export of a paper-preset run: imports with stubbed vllm and sentence_transformers and sends the engine's prompts and sampling", async () => {
  const config = await paperRun();
  const out = path.join(tempDir('mcpo-export-'), 'submission');
  const result = await exportSubmission({ runDir: runFolder(config) }, out, {
    modelPath: './models/llama3-70B-awq',
  });
  assert.deepEqual(result.files.sort(), [
    'README.md',
    'models/mcpo_config.json',
    'models/mcpo_model.py',
    'models/mcpo_prompt.py',
    'models/user_config.py',
    'requirements.txt',
  ]);
  assert.deepEqual(result.agreement, { file: SAMPLE_FILE, agree: 96, total: 96 });
  assert.equal(
    fs.readFileSync(path.join(out, 'requirements.txt'), 'utf8'),
    'vllm>=0.4.2\nsentence-transformers\n',
  );
  const written = JSON.parse(
    fs.readFileSync(path.join(out, 'models/mcpo_config.json'), 'utf8'),
  ) as SubmissionConfig;
  // The rules travel as data, the engine's own list: no second copy to drift.
  assert.deepEqual(written.taskTypeRules, INFERENCE_RULES);
  const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.match(readme, new RegExp(config.runId));
  // The configuration label names the preset: the README does not add ", preset paper" (K9).
  assert.equal(readme.match(/preset[ =]paper/g)?.length, 1, readme);

  const result2 = evaluate(out);
  assert.equal(result2.batch, 16);
  assert.equal(result2.rows.length, 96);
  // One engine, as the starter kit's vLLM baseline builds it, with the export's defaults.
  assert.deepEqual(result2.engines, [
    {
      model: './models/llama3-70B-awq',
      kw: {
        tensor_parallel_size: 4,
        gpu_memory_utilization: 0.85,
        quantization: 'awq',
        dtype: 'float16',
        trust_remote_code: true,
        enforce_eager: true,
        worker_use_ray: true,
      },
    },
  ]);
  const rows = sampleRows();
  const isCot = (prompt: string): boolean => prompt.startsWith('Provide your chain of thought');
  const answerPrompts = result2.calls.flatMap((c) => c.prompts).filter((p) => !isCot(p));
  for (const r of result2.rows) {
    const row = rows.find((x) => x.input_field === r.prompt)!;
    const at = `row ${rows.indexOf(row)} (${row.task_type})`;
    assert.equal(r.type, row.task_type, at);
    // The stub answers "1", or its reasoning to CoT requests.
    assert.equal(r.answer, '1', at);
    const split = splitQuestion(row.input_field);
    const ranked =
      row.task_type === 'ranking' && !('reason' in split)
        ? rankOptions(
            stubVector(QUERY + split.body),
            split.options.map((o) => stubVector(o.text)),
            split.options,
            'dot',
          )
        : undefined;
    const expected = assemblePrompt({
      row,
      templated: applyTemplate('paper', row, config.promptParts),
      similarity: ranked
        ? {
            block: similarityBlock(ranked, 3, config.similarity.wording),
            model: 'M_V',
            scores: ranked,
          }
        : undefined,
      cot: row.task_type === 'multiple-choice' ? { text: COT, model: 'M_L' } : undefined,
    }).final;
    // The answer request vLLM got for this question is exactly the engine's final prompt.
    const sent = answerPrompts.indexOf(expected);
    assert.ok(sent >= 0, `${at}: the engine's final prompt was not sent:\n${expected}`);
    answerPrompts.splice(sent, 1);
  }
  assert.deepEqual(answerPrompts, []);
  // The reference sampling: CoT 150 tokens at temperature 0, top_p 0.9; answers 2 tokens for
  // multiple choice and 70 otherwise; the seed 773815 throughout.
  const cot = result2.calls.filter((c) => isCot(c.prompts[0]));
  assert.equal(
    cot.map((c) => c.prompts.length).reduce((a, b) => a + b, 0),
    rows.filter((r) => r.task_type === 'multiple-choice').length,
  );
  for (const c of cot)
    assert.deepEqual(
      [c.params.max_tokens, c.params.temperature, c.params.top_p, c.params.seed],
      [150, 0, 0.9, 773815],
    );
  const answers = result2.calls.filter((c) => !isCot(c.prompts[0]));
  assert.equal(
    answers.map((c) => c.prompts.length).reduce((a, b) => a + b, 0),
    96,
  );
  for (const c of answers) {
    const mc = c.prompts.every((p) => p.includes('[Chain of Thought]'));
    assert.deepEqual(
      [c.params.max_tokens, c.params.temperature, c.params.top_p, c.params.seed, c.params.n],
      [mc ? 2 : 70, 0, 0.9, 773815, 1],
    );
    assert.equal(c.model, './models/llama3-70B-awq');
  }
});

test('a chat-mode run is exported with the chat template; vLLM options and batch size reach the model', async () => {
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    templates: 'none',
    llm: { url: 'http://gpu:8000/v1', model: 'qwen', mode: 'chat' },
  });
  const out = tempDir('mcpo-export-chat-');
  await exportSubmission({ config, description: 'the run options' }, out, {
    batchSize: 5,
    vllm: { tensor_parallel_size: 1, gpu_memory_utilization: 0.5, quantization: null },
  });
  assert.equal(fs.readFileSync(path.join(out, 'requirements.txt'), 'utf8'), 'vllm>=0.4.2\n');
  const got = evaluate(out);
  assert.equal(got.batch, 5);
  assert.deepEqual(got.engines[0].kw, {
    tensor_parallel_size: 1,
    gpu_memory_utilization: 0.5,
    quantization: null,
    dtype: 'float16',
    trust_remote_code: true,
    enforce_eager: true,
  });
  // templates none: the raw prompt, in one user message, as vLLM's chat endpoint would render it.
  const sent = got.calls.flatMap((c) => c.prompts);
  assert.deepEqual(
    sent.sort(),
    sampleRows()
      .map((r) => `<|user|>${r.input_field}<|assistant|>`)
      .sort(),
  );
  assert.ok(got.calls.every((c) => (c.prompts.length as number) <= 5));
});

test('small-model CoT runs as a second vLLM engine with its share of the memory and its own sampling', async () => {
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    preset: 'paper',
    llm: { url: 'http://gpu:8000/v1', model: 'big' },
    slm: { url: 'http://gpu:8001/v1', model: 'small' },
  });
  assert.equal(config.cot.mode, 'slm');
  const out = tempDir('mcpo-export-slm-');
  await exportSubmission({ config, description: '--preset paper' }, out, {
    modelPath: 'models/big',
    slmPath: 'models/small',
  });
  const got = evaluate(out);
  assert.deepEqual(
    got.engines.map((e) => [e.model, e.kw.gpu_memory_utilization]),
    [
      ['models/big', 0.85 * 0.8],
      ['models/small', 0.85 * 0.2],
    ],
  );
  const cot = got.calls.filter((c) => c.model === 'models/small');
  assert.equal(
    cot.reduce((n, c) => n + c.prompts.length, 0),
    sampleRows().filter((r) => r.task_type === 'multiple-choice').length,
  );
  for (const c of cot) {
    assert.deepEqual(
      [c.params.max_tokens, c.params.temperature, c.params.top_p],
      [config.cot.maxTokens, config.cot.temperature, config.cot.topP],
    );
    assert.ok(c.prompts.every((p) => p.endsWith('\nChain of thought step-bystep in 50 words: \n')));
  }
});

test('bad run folders, configurations and output folders are refused with the file and field', async (t) => {
  const base = tempDir('mcpo-export-bad-');
  const out = path.join(base, 'out');
  await t.test('a missing run folder', async () => {
    await assert.rejects(
      exportSubmission({ runDir: path.join(base, 'nope') }, out),
      /nope: no such run folder/,
    );
  });
  await t.test('a folder that is not a run', async () => {
    const dir = path.join(base, 'empty');
    fs.mkdirSync(dir);
    await assert.rejects(exportSubmission({ runDir: dir }, out), (e: Error) =>
      e.message.includes(path.join(dir, 'config.json')),
    );
  });
  const config = await paperRun();
  for (const [name, change, message] of [
    [
      'a templates file',
      { templates: { file: '/t.json' } },
      /config\.json: templates is a templates file/,
    ],
    ['constrained decoding', { constrained: true }, /config\.json: constrained is true/],
    [
      'a CoT request without {question}',
      { cot: { ...config.cot, mode: 'self', request: 'think' } },
      /config\.json: cot\.request has no \{question\}/,
    ],
    [
      'a run on the local llama.cpp model (a GGUF vLLM cannot load)',
      { llm: { ...config.llm, baseUrl: 'local', model: '/home/me/models/tiny.gguf' } },
      /config\.json: llm is the local llama\.cpp model \/home\/me\/models\/tiny\.gguf.*--model-path/,
    ],
    [
      'small-model CoT without a small model',
      { cot: { ...config.cot, mode: 'slm' }, slm: undefined },
      /config\.json: cot\.mode is "slm"/,
    ],
  ] as const) {
    await t.test(name, async () => {
      await assert.rejects(
        exportSubmission({ runDir: runFolder({ ...config, ...change } as RunConfig) }, out),
        message,
      );
    });
  }
  await t.test('a batch size the starter kit refuses', async () => {
    await assert.rejects(
      exportSubmission({ config, description: '--preset paper' }, out, { batchSize: 17 }),
      /batch size must be an integer from 1 to 16/,
    );
  });
  await t.test('an output that is a file, a non-empty folder, or cannot be written', async () => {
    const file = path.join(base, 'file');
    fs.writeFileSync(file, 'x');
    await assert.rejects(
      exportSubmission({ config, description: '--preset paper' }, file),
      /file: exists and is not a folder/,
    );
    await assert.rejects(
      exportSubmission({ config, description: '--preset paper' }, base),
      /not empty and not an earlier export/,
    );
    await assert.rejects(
      exportSubmission({ config, description: '--preset paper' }, path.join(file, 'sub')),
      /cannot write the submission into .*file\/sub/,
    );
    // An earlier export may be written again.
    const again = path.join(base, 'again');
    await exportSubmission({ config, description: '--preset paper' }, again);
    await exportSubmission({ config, description: '--preset paper' }, again);
  });
});

test('mcpo export submission: the command writes the folder and reports the agreement; usage errors exit 2', async () => {
  const base = tempDir('mcpo-export-cli-');
  const out = path.join(base, 'sub');
  const ok = await runCli([
    'export',
    'submission',
    '--data',
    SAMPLE_FILE,
    '--preset',
    'paper',
    '--llm-url',
    'http://gpu:8000/v1',
    '--llm-model',
    'm',
    '--out',
    out,
    '--tensor-parallel-size',
    '2',
    '--dtype',
    'float16',
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /models\/mcpo_model\.py/);
  assert.match(ok.stdout, /agrees with task_type on 96 of 96 rows .*\(100\.0%\)/);
  const written = JSON.parse(
    fs.readFileSync(path.join(out, 'models/mcpo_config.json'), 'utf8'),
  ) as SubmissionConfig;
  assert.equal(written.vllm.tensor_parallel_size, 2);
  assert.equal(written.source.preset, 'paper');
  // No run happened: no run id is named, the README says it came from the preset.
  assert.equal(written.source.runId, null);
  const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  // The preset is named once (K9), not again inside the label.
  assert.match(readme, /^Exported from the `paper` preset \(templates=paper .*\) without a run: /m);
  assert.doesNotMatch(readme, /preset=paper/);
  assert.doesNotMatch(readme, /From run|\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}/);
  const run = ['export', 'submission', '--out', out, '--run', path.join(base, 'x')];
  for (const [args, message] of [
    [[...run, '--quantization', 'gptq'], /--quantization must be awq or none/],
    [
      [...run, '--gpu-memory-utilization', '1.5'],
      /--gpu-memory-utilization must be a number in \(0, 1\]/,
    ],
    [['export', 'subm', '--out', out], /say what to export/],
    [['export', 'submission', '--run', path.join(base, 'x')], /--out/],
  ] as const) {
    const r = await runCli([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  // Without --llm-url the name is still vLLM's model, not a file under the current folder.
  const hub = path.join(base, 'hub');
  const named = await runCli([
    ...['export', 'submission', '--data', SAMPLE_FILE, '--preset', 'paper'],
    ...['--llm-model', 'meta-llama/Meta-Llama-3-70B-Instruct', '--out', hub],
  ]);
  assert.equal(named.code, 0, named.stderr);
  const hubConfig = JSON.parse(
    fs.readFileSync(path.join(hub, 'models/mcpo_config.json'), 'utf8'),
  ) as SubmissionConfig;
  assert.equal(hubConfig.llm.model, 'meta-llama/Meta-Llama-3-70B-Instruct');
  const noModel = await runCli(['export', 'submission', '--data', SAMPLE_FILE, '--out', hub]);
  assert.equal(noModel.code, 2, noModel.stderr);
  assert.match(noModel.stderr, /--data needs --llm-model NAME/);
  const missing = await runCli(run);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /x: no such run folder/);
});

test('a run on the local llama.cpp model: the export request names the weights it needs and writes nothing until given them', async () => {
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: 'local', model: DEFAULT_LOCAL_MODEL },
  });
  const runDir = runFolder(config);
  const out = path.join(tempDir('mcpo-export-local-'), 'submission');
  assert.deepEqual(await exportSubmissionRequest({ runDir, out }), {
    written: false,
    needs: [
      {
        role: 'llm',
        option: 'modelPath',
        model: DEFAULT_LOCAL_MODEL,
        suggestion: 'models/Qwen2.5-0.5B-Instruct',
      },
    ],
  });
  assert.equal(fs.existsSync(out), false, 'something was written without the weights');
  const written = await exportSubmissionRequest({
    runDir,
    out,
    options: { modelPath: 'models/Qwen2.5-0.5B-Instruct' },
  });
  assert.equal(written.written, true);
  const exported = JSON.parse(
    fs.readFileSync(path.join(out, 'models/mcpo_config.json'), 'utf8'),
  ) as SubmissionConfig;
  assert.equal(exported.llm.model, 'models/Qwen2.5-0.5B-Instruct');
  // A run folder names its run in the README.
  assert.equal(exported.source.runId, config.runId);
  assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /^From run `/m);
});

test('the folder offered for the weights of a GGUF', () => {
  assert.equal(
    suggestedFolder('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M'),
    'models/Qwen2.5-0.5B-Instruct',
  );
  assert.equal(suggestedFolder('hf:bartowski/Llama-3-8B_gguf'), 'models/Llama-3-8B');
  assert.equal(suggestedFolder('/home/me/models/tiny-q4.gguf'), 'models/tiny-q4');
  assert.equal(suggestedFolder('C:\\models\\tiny.GGUF'), 'models/tiny');
});

test('a run over some rows: the agreement is measured on the rows it covered, and says so (C9)', async () => {
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    limit: 8,
    llm: { url: 'http://gpu:8000/v1', model: 'llama3-70B-awq' },
  });
  const out = path.join(tempDir('mcpo-export-'), 'submission');
  const result = await exportSubmission({ runDir: runFolder(config) }, out);
  assert.deepEqual(result.agreement, { file: SAMPLE_FILE, agree: 8, total: 8, of: 96 });
  assert.match(
    formatAgreement(result.agreement),
    / agrees with task_type on 8 of the 8 rows the run covered, of 96 in .*shopbench-dev\.jsonl \(100\.0%\)$/,
  );
  const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.match(
    readme,
    /^From run `[^`]+` \(templates=paper\) on `.*shopbench-dev\.jsonl` \(the run covered 8 of its 96 rows\)\.$/m,
  );
  // A selection's other rows are left out as invalid: they are not measured either.
  const selection = {
    ...config,
    data: {
      ...config.data,
      limit: undefined,
      selected: 2,
      invalid: [...Array(94).keys()].map((i) => i + 2),
    },
  };
  const picked = await exportSubmission(
    { runDir: runFolder(selection) },
    path.join(out, '..', 'two'),
  );
  assert.deepEqual(picked.agreement, { file: SAMPLE_FILE, agree: 2, total: 2, of: 96 });
});
