/**
 * sentence-transformers' pooling on transformers.js tensors: mean or CLS pooling of the token
 * vectors, optional L2 normalisation, float32 results as SentenceTransformer.encode returns.
 */
import type { Tensor } from '@huggingface/transformers';
import type { SentenceSettings } from './sentenceConfig';

export interface ModelOutputs {
  last_hidden_state?: Tensor;
}

function floatData(tensor: Tensor): Float32Array {
  if (!(tensor.data instanceof Float32Array))
    throw new Error(`expected float32 hidden states, got ${tensor.type}`);
  return tensor.data;
}

function maskValues(mask: Tensor): number[] {
  return Array.from(mask.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/** sentence-transformers mean pooling: sum of attended token vectors / max(count, 1e-9). */
function meanPool(
  hidden: Float32Array,
  mask: number[],
  row: number,
  seq: number,
  dim: number,
): Float64Array {
  const out = new Float64Array(dim);
  let count = 0;
  for (let s = 0; s < seq; s++) {
    const m = mask[row * seq + s];
    if (m === 0) continue;
    count += m;
    const base = (row * seq + s) * dim;
    for (let d = 0; d < dim; d++) out[d] += hidden[base + d] * m;
  }
  const denom = Math.max(count, 1e-9);
  for (let d = 0; d < dim; d++) out[d] /= denom;
  return out;
}

function clsPool(hidden: Float32Array, row: number, seq: number, dim: number): Float64Array {
  const base = row * seq * dim;
  return Float64Array.from(hidden.subarray(base, base + dim));
}

/** torch.nn.functional.normalize: x / max(||x||, 1e-12). */
function l2Normalize(v: Float64Array): Float64Array {
  let sq = 0;
  for (const x of v) sq += x * x;
  const norm = Math.max(Math.sqrt(sq), 1e-12);
  return v.map((x) => x / norm);
}

export function poolBatch(
  outputs: ModelOutputs,
  attentionMask: Tensor,
  settings: SentenceSettings,
): Float32Array[] {
  const hiddenState = outputs.last_hidden_state;
  if (!hiddenState) throw new Error('the model returned no last_hidden_state');
  const [batch, seq, dim] = hiddenState.dims;
  const hidden = floatData(hiddenState);
  const mask = maskValues(attentionMask);
  const vectors: Float32Array[] = [];
  for (let row = 0; row < batch; row++) {
    const pooled =
      settings.pooling === 'cls'
        ? clsPool(hidden, row, seq, dim)
        : meanPool(hidden, mask, row, seq, dim);
    vectors.push(Float32Array.from(settings.normalize ? l2Normalize(pooled) : pooled));
  }
  return vectors;
}
