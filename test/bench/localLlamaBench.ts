/**
 * Local llama.cpp backend figures: cold load time, generation tokens/s, per-question answer
 * latency for each task type (3 sample rows of each, through executeRun with the paper's
 * sampling and constrained decoding), and resident memory with the model loaded. Always for the
 * tiny fixture GGUF; also for a real model when MCPO_BENCH_GGUF names a .gguf file (or hub ref).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TASK_TYPES } from '../../server/dataset/shopbench';
import { createLocalLlamaClient } from '../../server/llm/localLlama';
import { disposeLocalModels } from '../../server/llm/localModels';
import { buildRunConfig, executeRun } from '../../server/runs/startRun';
import type { RunRecord } from '../../server/runs/runTypes';
import { repoRoot } from '../support/paths';
import { buildTinyBertFixture } from '../support/tinyBertFixture';
import { buildTinyLlamaGguf } from '../support/tinyLlamaGguf';

const SAMPLE = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const ROWS_PER_TYPE = 3;

export async function localLlamaBench(figures: Record<string, string>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-llbench-'));
  try {
    const mv = buildTinyBertFixture(path.join(dir, 'mv'));
    const data = sampleSubset(path.join(dir, 'subset.jsonl'));
    const tiny = buildTinyLlamaGguf(path.join(dir, 'tiny.gguf'));
    // One thread for the fixture: for a model this small, thread synchronisation dominates.
    await benchModel('tiny fixture GGUF', tiny, 1, data, mv, dir, figures);
    const real = process.env.MCPO_BENCH_GGUF;
    if (real !== undefined && real !== '') {
      await benchModel(path.basename(real), real, undefined, data, mv, dir, figures);
    } else {
      figures['local llama: real model'] = 'skipped (set MCPO_BENCH_GGUF to a .gguf file)';
    }
  } finally {
    await disposeLocalModels();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchModel(
  name: string,
  model: string,
  threads: number | undefined,
  data: string,
  mv: string,
  dir: string,
  figures: Record<string, string>,
): Promise<void> {
  await disposeLocalModels();
  const client = createLocalLlamaClient({ model, threads });
  const rssBefore = process.memoryUsage().rss;
  const tLoad = performance.now();
  await client.check();
  figures[`local llama ${name}: cold load (llama.cpp + model + context)`] =
    `${(performance.now() - tLoad).toFixed(0)} ms`;

  // Free generation: tokens over time, several prompts so a model that stops early still counts.
  let tokens = 0;
  const tGen = performance.now();
  for (let i = 0; i < 4; i++) {
    const r = await client.complete({
      prompt: `Describe product number ${i} in detail.`,
      sampling: { temperature: 0.8, top_p: 0.9, max_tokens: 128, seed: i },
    });
    tokens += r.usage?.completion_tokens ?? 0;
  }
  figures[`local llama ${name}: generation`] =
    `${(tokens / ((performance.now() - tGen) / 1000)).toFixed(0)} tokens/s (${tokens} tokens, prompt eval included)`;

  const config = await buildRunConfig({
    data,
    llm: { url: 'local', model, concurrency: 1 },
    scoringEmbedModel: mv,
    constrained: true,
  });
  const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, `cache-${Date.now()}`),
    localThreads: threads,
  });
  const records = fs
    .readFileSync(path.join(result.dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunRecord);
  const parts: string[] = [];
  for (const type of TASK_TYPES) {
    const times = records
      .filter((r) => r.task_type === type && r.timings.answerMs !== undefined)
      .map((r) => r.timings.answerMs as number);
    if (times.length > 0)
      parts.push(`${type} ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(0)} ms`);
  }
  figures[
    `local llama ${name}: mean answer latency per question (${records.length} rows, constrained, ${result.failed} failed)`
  ] = parts.join(', ');
  figures[`local llama ${name}: resident memory with the model loaded`] =
    `${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (+${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(0)} MB)`;
  await disposeLocalModels();
}

/** The first ROWS_PER_TYPE sample rows of each task type, as a JSON Lines file. */
function sampleSubset(file: string): string {
  const lines = fs
    .readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const counts = new Map<string, number>();
  const kept = lines.filter((line) => {
    const type = (JSON.parse(line) as { task_type: string }).task_type;
    const n = counts.get(type) ?? 0;
    counts.set(type, n + 1);
    return n < ROWS_PER_TYPE;
  });
  fs.writeFileSync(file, `${kept.join('\n')}\n`);
  return file;
}
