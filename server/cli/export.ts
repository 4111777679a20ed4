/** `mcpo export submission`: a run's pipeline (or a preset's) as a ShopBench starter-kit submission. */
import * as path from 'node:path';
import { exportOptions, exportSubmission, formatAgreement } from '../export/submission';
import { VLLM_DTYPES, type VllmDtype } from '../protocol/export';
import { buildRunConfig } from '../runs/startRun';
import { UsageError } from '../userError';
import { intOption, requireOption, type Command } from './command';
import { pipelineOptionsFrom, PIPELINE_OPTIONS } from './runOptions';

export const exportCommand: Command = {
  positionals: true,
  usage:
    'mcpo export submission (--run <run dir> | --data <file> --llm-model NAME [--preset paper] [pipeline options]) --out <dir> [--model-path P] [--slm-path P] [--embed-path P] [--tensor-parallel-size N] [--gpu-memory-utilization F] [--quantization awq|none] [--dtype float16|bfloat16|float32|auto] [--batch-size N]',
  options: {
    ...PIPELINE_OPTIONS,
    run: { type: 'string' },
    'model-path': { type: 'string' },
    'slm-path': { type: 'string' },
    'embed-path': { type: 'string' },
    'tensor-parallel-size': { type: 'string' },
    'gpu-memory-utilization': { type: 'string' },
    quantization: { type: 'string' },
    dtype: { type: 'string' },
    'batch-size': { type: 'string' },
  },
  help: `  --run DIR                   the run whose pipeline to export (its config.json); or, instead, --data and the
                              run options (--preset paper, --cot, --similarity-k, ... as for mcpo run) of a
                              pipeline that has not run yet
  --out DIR                   the submission folder: new, empty or an earlier export
  --model-path P              where M_L's weights are in the starter kit (default: the run's model name)
  --slm-path P --embed-path P   the same for M_S and M_V (default: the run's names)
  --tensor-parallel-size N    vLLM tensor parallel size (default 4: phase 2 ran on 4 T4s)
  --gpu-memory-utilization F  vLLM's share of each GPU's memory, in (0, 1] (default 0.85)
  --quantization awq|none     awq (default) for the paper's AWQ-quantized M_L, none for full weights
  --dtype float16|bfloat16|float32|auto   default float16: T4s have no bfloat16
  --batch-size N              what get_batch_size() returns, 1 to 16 (default 16)

Writes models/mcpo_model.py (the starter kit's model: get_batch_size, batch_predict(batch,
is_multiple_choice)), models/mcpo_prompt.py (the engine's prompt assembly in standard-library
Python, byte for byte), models/mcpo_config.json, models/user_config.py, requirements.txt and a
README with the run and its scores, then prints how often the task type the model infers (the
evaluator passes only the prompts and is_multiple_choice) agrees with task_type on the run's data.`,
  async run(v, positionals) {
    if (positionals.length !== 1 || positionals[0] !== 'submission')
      throw new UsageError(`mcpo export: say what to export\nusage: ${exportCommand.usage}`);
    const out = requireOption(v, 'out', 'export', exportCommand.usage);
    const runDir = v.run as string | undefined;
    if (!runDir && v['llm-model'] === undefined)
      throw new UsageError(
        `mcpo export: --data needs --llm-model NAME, the model vLLM loads in the submission (or export a run with --run DIR)\nusage: ${exportCommand.usage}`,
      );
    const input = runDir
      ? { runDir }
      : {
          config: await buildRunConfig(pipelineOptionsFrom(v, 'export', exportCommand.usage)),
          description: v.preset ? `--preset ${String(v.preset)}` : 'the run options',
        };
    const memory = v['gpu-memory-utilization'];
    const fraction = typeof memory === 'string' ? Number(memory) : undefined;
    if (fraction !== undefined && !(fraction > 0 && fraction <= 1))
      throw new UsageError(
        `mcpo export: --gpu-memory-utilization must be a number in (0, 1], got ${JSON.stringify(memory)}`,
      );
    const quantization = v.quantization;
    if (quantization !== undefined && quantization !== 'awq' && quantization !== 'none')
      throw new UsageError(
        `mcpo export: --quantization must be awq or none, got ${JSON.stringify(quantization)}`,
      );
    const dtype = v.dtype;
    if (dtype !== undefined && !VLLM_DTYPES.includes(dtype as VllmDtype))
      throw new UsageError(
        `mcpo export: --dtype must be one of ${VLLM_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`,
      );
    const result = await exportSubmission(
      input,
      out,
      exportOptions({
        // Exporting a pipeline that has not run: --llm-model names vLLM's model as given
        // (a run resolves a name without --llm-url as a local GGUF path instead).
        modelPath: (v['model-path'] ?? (runDir ? undefined : v['llm-model'])) as string | undefined,
        slmPath: v['slm-path'] as string | undefined,
        embedPath: v['embed-path'] as string | undefined,
        batchSize: intOption(v, 'batch-size', 'export', 1),
        tensorParallelSize: intOption(v, 'tensor-parallel-size', 'export', 1),
        gpuMemoryUtilization: fraction,
        quantization,
        dtype: dtype as VllmDtype | undefined,
      }),
    );
    process.stdout.write(`${result.files.map((f) => path.join(out, f)).join('\n')}\n`);
    process.stdout.write(`${formatAgreement(result.agreement)}\n`);
    return 0;
  },
};
