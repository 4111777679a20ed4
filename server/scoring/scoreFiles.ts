/**
 * `mcpo score` as a function: a dataset file plus a predictions file in, per-sample scores and
 * the report out. The CLI prints and writes files; the language server (later) calls the same.
 */
import { loadDataset, type LoadedDataset } from '../dataset/load';
import { loadEmbedder, DEFAULT_EMBED_MODEL, DEFAULT_MULTILINGUAL_EMBED_MODEL, type Embedder, type EmbedLoadProgress } from '../embed/embedder';
import { aggregate, scoreSamples, type EmbeddingSource, type SampleScore, type ScoresReport } from './evaluate';
import { loadJapaneseTokenizer } from './japaneseTokenizer';
import { PredictionsError, readPredictions } from './predictions';

export interface ScoreFilesOptions {
  data: string;
  predictions: string;
  embedModel?: string;
  multilingualEmbedModel?: string;
  /** Model download progress (hub models only). */
  onModelProgress?: (model: string, file: string, loaded: number, total: number) => void;
}

export interface ScoreFilesResult {
  dataset: LoadedDataset;
  samples: SampleScore[];
  report: ScoresReport;
}

export async function scoreFiles(options: ScoreFilesOptions): Promise<ScoreFilesResult> {
  const [dataset, responses] = await Promise.all([loadDataset(options.data), readPredictions(options.predictions)]);
  if (responses.length !== dataset.rowCount) {
    throw new PredictionsError(
      `${options.predictions} has ${responses.length} predictions but ${options.data} has ${dataset.rowCount} rows; give one prediction line per dataset row, in order`,
    );
  }
  const inputs = dataset.rows.map((r) => ({ index: r.index, row: r.row, response: responses[r.index] }));
  const samples = await scoreSamples(inputs, {
    embeddings: embeddingSource(options),
    japaneseTokenizer: loadJapaneseTokenizer,
  });
  return { dataset, samples, report: aggregate(samples) };
}

/** Texts per forward pass when scoring with an embedding model. */
const EMBED_BATCH = 32;

/** Loads each metric's model on first use only, so datasets without such rows never load one. */
function embeddingSource(options: ScoreFilesOptions): EmbeddingSource {
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
          onProgress: (p: EmbedLoadProgress) => options.onModelProgress?.(model, p.file, p.loaded, p.total),
        });
        loaded.set(model, embedder);
      }
      const ready = await embedder;
      // Bounded batches: one forward pass over thousands of texts would hold gigabytes of activations.
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += EMBED_BATCH) out.push(...(await ready.embed(texts.slice(i, i + EMBED_BATCH))));
      return out;
    },
  };
}
