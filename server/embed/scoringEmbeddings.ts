/**
 * The embedding models behind the sent-transformer metrics, loaded on first use only (a dataset
 * without such rows never loads one) and fed in bounded batches.
 */
import type { EmbeddingSource } from '../scoring/evaluate';
import {
  DEFAULT_EMBED_MODEL,
  DEFAULT_MULTILINGUAL_EMBED_MODEL,
  loadEmbedder,
  type Embedder,
} from './embedder';
import type { EmbedLoadProgress } from './transformersRuntime';

/** Texts per forward pass: one pass over thousands of texts would hold gigabytes of activations. */
export const EMBED_BATCH = 32;

export interface ScoringEmbeddingOptions {
  embedModel?: string;
  multilingualEmbedModel?: string;
  /** Model download progress (hub models only). */
  onModelProgress?: (model: string, file: string, loaded: number, total: number) => void;
}

export function scoringEmbeddings(options: ScoringEmbeddingOptions): EmbeddingSource {
  const loaded = new Map<string, Promise<Embedder>>();
  return {
    async embed(metric, texts) {
      const model =
        metric === 'sent-transformer'
          ? (options.embedModel ?? DEFAULT_EMBED_MODEL)
          : (options.multilingualEmbedModel ?? DEFAULT_MULTILINGUAL_EMBED_MODEL);
      let embedder = loaded.get(model);
      if (!embedder) {
        embedder = loadEmbedder(model, {
          onProgress: (p: EmbedLoadProgress) =>
            options.onModelProgress?.(model, p.file, p.loaded, p.total),
        });
        loaded.set(model, embedder);
      }
      return embedInBatches(await embedder, texts);
    },
  };
}

/** Embeds texts EMBED_BATCH at a time, in order (`prompt`: see Embedder.embed). */
export async function embedInBatches(
  embedder: Embedder,
  texts: readonly string[],
  options?: { prompt?: string },
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += EMBED_BATCH)
    out.push(...(await embedder.embed(texts.slice(i, i + EMBED_BATCH), options)));
  return out;
}
