/**
 * Embedding figures: the similarity stage's embedder, inline and in the engine worker, against
 * onnxruntime's InferenceSession called directly on the same model and batch. (The runs
 * themselves are measured in runBench.ts.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEmbedder } from '../../server/embed/embedder';
import { loadWorkerEmbedder } from '../../server/workers/enginePool';
import { buildTinyBertFixture } from '../support/tinyBertFixture';

export async function pipelineBench(
  sample: string,
  figures: Record<string, string>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-pbench-'));
  try {
    await embeddingThroughput(buildTinyBertFixture(path.join(dir, 'mv')), sample, figures);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
  const inWorker = await loadWorkerEmbedder(modelDir);
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
  await inWorker.embed(texts);
  const tw = performance.now();
  for (let i = 0; i < rounds; i++) await inWorker.embed(texts);
  const worker = (performance.now() - tw) / rounds;

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
    `ours ${ours.toFixed(2)} ms/batch inline, ${worker.toFixed(2)} ms/batch in the engine worker (${((32 * 1000) / worker).toFixed(0)} texts/s) vs onnxruntime direct ${direct.toFixed(2)} ms/batch: ${((direct / ours) * 100).toFixed(0)}% (inline) and ${((direct / worker) * 100).toFixed(0)}% (worker) of direct throughput`;
  await embedder.dispose();
}
