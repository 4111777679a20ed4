/**
 * Wire types of mcpo/exportSubmission: a run's pipeline written as a folder for the Amazon KDD
 * Cup 2024 ShopBench starter kit (server/export/submission.ts does the work; `mcpo export
 * submission` is the same code).
 */

/** vLLM dtypes the export accepts; float16 is the default (the evaluator's T4s have no bfloat16). */
export const VLLM_DTYPES = ['float16', 'bfloat16', 'float32', 'auto'] as const;
export type VllmDtype = (typeof VLLM_DTYPES)[number];

/** All optional: absent means the export's default (the CLI's flags of the same names). */
export interface ExportSubmissionOptions {
  /** Where the weights will be inside the starter kit (default: the run's model names). */
  modelPath?: string;
  slmPath?: string;
  embedPath?: string;
  tensorParallelSize?: number;
  /** In (0, 1]. */
  gpuMemoryUtilization?: number;
  quantization?: 'awq' | 'none';
  dtype?: VllmDtype;
  /** 1 to 16, what get_batch_size() returns. */
  batchSize?: number;
}

export interface ExportSubmissionParams {
  /** The run folder (its config.json says what the pipeline was). */
  runDir: string;
  /** The submission folder: new, empty, or an earlier export. */
  out: string;
  options?: ExportSubmissionOptions;
}

/** The submission folder was written. */
export interface ExportWritten {
  written: true;
  out: string;
  /** The files written, relative to `out`. */
  files: string[];
  /** How often the exported model's task-type inference agrees with the run's data, in words. */
  agreement: string;
}

/**
 * A model of the run the export cannot name by itself: the run used the local llama.cpp model (a
 * GGUF, which vLLM in the starter kit cannot load) there, so the user says where the weights go.
 */
export interface WeightsNeeded {
  role: 'llm' | 'slm';
  /** The option that names them (`--model-path` / `--slm-path` in the CLI). */
  option: 'modelPath' | 'slmPath';
  /** The GGUF the run used (a file or a hub reference). */
  model: string;
  /** A folder inside the starter kit to offer, e.g. models/Qwen2.5-0.5B-Instruct. */
  suggestion: string;
}

/** Nothing was written until the options name these weights. */
export interface ExportNeedsWeights {
  written: false;
  needs: WeightsNeeded[];
}

export type ExportSubmissionResult = ExportWritten | ExportNeedsWeights;
