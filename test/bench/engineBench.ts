/**
 * The engine's own work per question, apart from HTTP and from the server: a model that answers
 * on the next turn of the event loop (as a response arriving would), driven once by the runner
 * (prompts, records, the score cache, the endpoint watch, the scoring hand-offs to the worker)
 * and once by a bare loop that only asks (the same model, the same concurrency). The difference
 * is what the engine adds to each answer on the thread that sends the requests.
 *
 * Measured as main-thread CPU time (Linux: /proc/thread-self/stat), not wall time: it does not
 * move with the machine's load the way a wall clock does, and the worker's CPU (scoring) is not
 * the main thread's. Rows whose metrics need a model (jp-bleu, sent-transformer) are left out,
 * so no model load in the worker shares the cores with what is measured.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset, type LoadedRow } from '../../server/dataset/load';
import type { LlmClient, LlmResponse } from '../../server/llm/types';
import { Semaphore } from '../../server/llm/semaphore';
import { runQuestions } from '../../server/runs/runner';
import { RunStore } from '../../server/runs/runStore';
import { buildRunConfig } from '../../server/runs/startRun';
import { ScoreCache } from '../../server/scoring/scoreCache';
import { closeEnginePool } from '../../server/workers/enginePool';
import { median } from './spawned';

const CONCURRENCY = 32;
const ROUNDS = 7;
/** Copies of the sample's plain rows: enough questions for 10 ms CPU ticks to resolve. */
const COPIES = 16;

/** This thread's CPU time in ms: per thread on Linux (10 ms ticks), else the event loop's busy time. */
function threadCpuMs(): number {
  try {
    const fields = fs.readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return ticks * 10;
  } catch {
    return performance.eventLoopUtilization().active;
  }
}

/** A model that answers every request on the next turn, as a response arriving would. */
function instantModel(endpoint: LlmClient['endpoint']): LlmClient {
  return {
    endpoint,
    label: 'instant',
    check: async () => undefined,
    complete: () =>
      new Promise<LlmResponse>((resolve) =>
        setImmediate(() => resolve({ text: '1', cached: false, attempts: 1, latencyMs: 0 })),
      ),
  };
}

export async function engineBench(sample: string, figures: Record<string, string>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-ebench-'));
  try {
    const data = path.join(dir, 'plain.jsonl');
    const lines = fs.readFileSync(sample, 'utf8').trim().split('\n');
    const out: string[] = [];
    for (let copy = 1; copy <= COPIES; copy++)
      for (const line of lines) {
        const row = JSON.parse(line) as { input_field: string; metric: string };
        if (row.metric === 'jp-bleu' || row.metric.includes('sent-transformer')) continue;
        out.push(JSON.stringify({ ...row, input_field: `(${copy}) ${row.input_field}` }));
      }
    fs.writeFileSync(data, `${out.join('\n')}\n`);
    const config = await buildRunConfig({
      data,
      llm: { url: 'http://127.0.0.1:9/v1', model: 'm', concurrency: CONCURRENCY },
      templates: 'none',
      cot: 'off',
      similarityK: 0,
    });
    const rows = (await loadDataset(data)).rows;
    const model = instantModel(config.llm);

    const engine = async (round: number): Promise<number> => {
      const store = RunStore.create(path.join(dir, `run-${round}`), config);
      const cpu = threadCpuMs();
      await runQuestions(rows, {
        store,
        llm: model,
        scoreCache: new ScoreCache(path.join(dir, `cache-${round}`)),
      });
      const used = threadCpuMs() - cpu;
      store.close();
      return used;
    };
    const bare = async (): Promise<number> => {
      const slots = new Semaphore(CONCURRENCY);
      const cpu = threadCpuMs();
      await Promise.all(
        rows.map(async (r: LoadedRow) => {
          const release = await slots.acquire();
          try {
            await model.complete({
              prompt: r.row.input_field,
              sampling: config.answerSampling[r.row.task_type],
            });
          } finally {
            release();
          }
        }),
      );
      return threadCpuMs() - cpu;
    };
    // The first round of each warms the code up (and starts the worker); the rest alternate.
    await engine(-1);
    await bare();
    const ours: number[] = [];
    const loop: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        ours.push(await engine(round));
        loop.push(await bare());
      } else {
        loop.push(await bare());
        ours.push(await engine(round));
      }
    }
    const perQuestion = (ms: number): number => (ms * 1000) / rows.length;
    const added = ours.map((o, i) => perQuestion(o - loop[i]));
    figures[
      `engine's own main-thread work per question (runner vs a bare loop, a model answering on the next turn, ${rows.length} questions, c=${CONCURRENCY}, median of ${ROUNDS} warm rounds)`
    ] =
      `${median(added).toFixed(0)} us added per question (${Math.min(...added).toFixed(0)}-${Math.max(...added).toFixed(0)}); runner ${perQuestion(median(ours)).toFixed(0)} us, bare loop ${perQuestion(median(loop)).toFixed(0)} us per question`;
  } finally {
    await closeEnginePool();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
