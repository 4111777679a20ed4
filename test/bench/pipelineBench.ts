/**
 * Pipeline figures: a 96-question run with self CoT and similarity hints against the test
 * server (200 ms latency, concurrency 8) compared with the server-bound limit, a cached re-run,
 * the similarity stage's embedding throughput against onnxruntime called directly, peak memory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEmbedder } from '../../server/embed/embedder';
import { buildRunConfig, executeRun } from '../../server/runs/startRun';
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { RunStore } from '../../server/runs/runStore';
import { buildTinyBertFixture } from '../support/tinyBertFixture';

const LATENCY_MS = 200;
const CONCURRENCY = 8;

export async function pipelineBench(
  sample: string,
  figures: Record<string, string>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-pbench-'));
  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  // The server runs in its own process: sharing this event loop would bill its work to the engine.
  const serverMain = path.join(
    __dirname,
    '..',
    'out',
    'test',
    'support',
    'openaiTestServerMain.js',
  );
  const child = spawn(process.execPath, [serverMain, '--latency-ms', String(LATENCY_MS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve) =>
    readline.createInterface({ input: child.stdout! }).once('line', resolve),
  );
  const server = { baseUrl };
  try {
    const options = {
      data: sample,
      llm: { url: server.baseUrl, model: 'test-model', concurrency: CONCURRENCY },
      embedModel: mv,
      scoringEmbedModel: mv,
      cot: 'self' as const,
      similarityK: 3,
    };
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const first = await executeRun(
      await buildRunConfig(options),
      undefined,
      path.join(dir, 'runs'),
      { cacheDir: path.join(dir, 'cache') },
    );
    const wall = (performance.now() - t0) / 1000;
    const posts = requestsMade(first.dir);
    const limit = (posts / CONCURRENCY) * (LATENCY_MS / 1000);
    figures[
      `96-question run, self CoT + similarity k=3, ${LATENCY_MS} ms latency, concurrency ${CONCURRENCY}`
    ] =
      `${wall.toFixed(2)} s for ${posts} requests; server-bound limit ${limit.toFixed(2)} s; ${(((wall - limit) / limit) * 100).toFixed(1)}% over; engine overhead ${(((wall - limit) * 1000) / 96).toFixed(1)} ms/question (${first.done} done, ${first.failed} failed)`;
    figures['peak memory of that run (RSS growth / process peak)'] =
      `${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(0)} MB / ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;

    const t1 = performance.now();
    const again = await executeRun(
      await buildRunConfig(options),
      undefined,
      path.join(dir, 'runs'),
      { cacheDir: path.join(dir, 'cache') },
    );
    figures['re-run of the same 96 questions (cache)'] =
      `${((performance.now() - t1) / 1000).toFixed(2)} s, ${requestsMade(again.dir)} generation requests (+1 /v1/models check)`;

    await embeddingThroughput(mv, sample, figures);
  } finally {
    child.stdin!.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Generation requests a run actually sent (attempts of calls not served from the cache). */
function requestsMade(runDir: string): number {
  let n = 0;
  for (const r of RunStore.open(runDir).records.values()) {
    for (const call of [r.stages.cot, r.answer]) if (call && !call.cached) n += call.attempts;
  }
  return n;
}

/** The similarity stage's embedder vs onnxruntime's InferenceSession on the same model and batch. */
async function embeddingThroughput(
  modelDir: string,
  sample: string,
  figures: Record<string, string>,
): Promise<void> {
  const texts = fs
    .readFileSync(sample, 'utf8')
    .trim()
    .split('\n')
    .slice(0, 32)
    .map((l) => (JSON.parse(l) as { input_field: string }).input_field.slice(0, 300));
  const embedder = await loadEmbedder(modelDir);
  const transformers = await import('@huggingface/transformers');
  const tokenizer = await transformers.AutoTokenizer.from_pretrained(modelDir, {
    local_files_only: true,
  });
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', 'model.onnx'));
  const rounds = 30;
  await embedder.embed(texts);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await embedder.embed(texts);
  const ours = (performance.now() - t0) / rounds;

  const runDirect = async (): Promise<void> => {
    const enc = tokenizer(texts, { padding: true, truncation: true, max_length: 128 });
    const feeds = {
      input_ids: new ort.Tensor('int64', enc.input_ids.data as BigInt64Array, enc.input_ids.dims),
      attention_mask: new ort.Tensor(
        'int64',
        enc.attention_mask.data as BigInt64Array,
        enc.attention_mask.dims,
      ),
      token_type_ids: new ort.Tensor(
        'int64',
        new BigInt64Array((enc.input_ids.data as BigInt64Array).length),
        enc.input_ids.dims,
      ),
    };
    const out = await session.run(feeds);
    const hidden = out.last_hidden_state.data as Float32Array;
    const [batch, seq, dim] = out.last_hidden_state.dims as number[];
    const mask = enc.attention_mask.data as BigInt64Array;
    for (let b = 0; b < batch; b++) {
      const v = new Float32Array(dim);
      let n = 0;
      for (let s = 0; s < seq; s++) {
        if (mask[b * seq + s] === 0n) continue;
        n++;
        for (let d = 0; d < dim; d++) v[d] += hidden[(b * seq + s) * dim + d];
      }
      for (let d = 0; d < dim; d++) v[d] /= Math.max(n, 1);
    }
  };
  await runDirect();
  const t1 = performance.now();
  for (let i = 0; i < rounds; i++) await runDirect();
  const direct = (performance.now() - t1) / rounds;
  figures['similarity embedding, batch of 32 prompts (tiny fixture)'] =
    `ours ${ours.toFixed(2)} ms/batch (${((32 * 1000) / ours).toFixed(0)} texts/s) vs onnxruntime direct ${direct.toFixed(2)} ms/batch: ${((direct / ours) * 100).toFixed(0)}% of direct throughput`;
  await embedder.dispose();
}
