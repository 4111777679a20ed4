/**
 * Pipeline steps run by the project's stand-ins (no GPU, no model, no hub), as a user would write
 * them in a pipeline file: the fake trainer, standIns.js for the merge and AWQ tools, and
 * fakeVllm.js serving vLLM's default command line for an eval. Used by the unit, language-server
 * and VS Code pipeline tests alike.
 */
import * as path from 'node:path';
import { DEFAULT_SERVE_COMMAND } from '../../server/jobs/specs';
import { fixturePath, repoRoot } from '../support/paths';

const OUT_SLURM = path.join(repoRoot, 'out', 'test', 'slurm');
const STAND_IN = [process.execPath, path.join(OUT_SLURM, 'standIns.js')];

/** vLLM's default serve command, run by the stand-in that checks its flags as vLLM would. */
export const SERVE_COMMAND = [
  process.execPath,
  path.join(OUT_SLURM, 'fakeVllm.js'),
  ...DEFAULT_SERVE_COMMAND.slice(1),
];

export type Step = { id: string; kind: string; spec: Record<string, unknown> };

export function finetuneStep(id: string, dataset: string, outputDir: string): Step {
  return {
    id,
    kind: 'finetune',
    spec: {
      dataset,
      output_dir: outputDir,
      launcher: ['bash', fixturePath('jobs', 'fake-trainer.sh')],
    },
  };
}

export function mergeAdapterStep(id: string, adapter: string, outputDir: string): Step {
  return {
    id,
    kind: 'merge-adapter',
    spec: { adapter, output_dir: outputDir, python: [...STAND_IN, 'merge-adapter'] },
  };
}

export function mergeStep(id: string, models: string[], outputDir: string): Step {
  return {
    id,
    kind: 'merge',
    spec: {
      models,
      layer_range: [0, 80],
      t: { self_attn: [0, 0.5, 0.3, 0.7, 1], mlp: [1, 0.5, 0.7, 0.3, 0], default: 0.5 },
      output_dir: outputDir,
      command: [...STAND_IN, 'mergekit'],
    },
  };
}

export function quantizeStep(id: string, model: string, outputDir: string): Step {
  return {
    id,
    kind: 'quantize',
    spec: { model, output_dir: outputDir, python: [...STAND_IN, 'quantize'] },
  };
}

/** An eval of `model` on the 3-question MCQ fixture, served on `port`. */
export function evalStep(id: string, model: string, port: number): Step {
  return {
    id,
    kind: 'eval',
    spec: {
      model,
      data: fixturePath('jobs', 'eval-mcq.jsonl'),
      port,
      serve_command: SERVE_COMMAND,
      ready_timeout_s: 60,
      run_args: ['--no-cache'],
    },
  };
}
