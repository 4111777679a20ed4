import { cosineScore } from './cosine';
import type { ScoreDtype } from '../python/numpyMean';

/**
 * The sent-transformer per-sample value with the numpy dtype it carries into the task mean:
 * a positive cosine stays a numpy float32, a clipped one is Python's int 0. A task whose samples
 * are all float32 is averaged in float32, as np.mean does; one int 0 makes the array float64.
 * (An exact float32 cosine of 0.0 would stay float32; telling it from a clip would need the raw
 * value, and such a vector pair does not occur in practice.)
 */
export function cosineSample(
  generation: Float32Array,
  references: readonly Float32Array[],
  truthIsList: boolean,
): { value: number; dtype: ScoreDtype } {
  const value = cosineScore(generation, references, truthIsList);
  return { value, dtype: value === 0 ? 'float64' : 'float32' };
}
