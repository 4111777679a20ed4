/**
 * `mcpo score` as a function: a dataset file plus a predictions file in, per-sample scores and
 * the report out, which the CLI prints and writes to files.
 */
import { loadDataset, type LoadedDataset } from '../dataset/load';
import { scoreInWorker } from '../workers/enginePool';
import { aggregate, type SampleScore, type ScoresReport } from './evaluate';
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
  const [dataset, responses] = await Promise.all([
    loadDataset(options.data),
    readPredictions(options.predictions),
  ]);
  if (responses.length !== dataset.rowCount) {
    throw new PredictionsError(
      `${options.predictions} has ${responses.length} predictions but ${options.data} has ${dataset.rowCount} rows; give one prediction line per dataset row, in order`,
    );
  }
  const inputs = dataset.rows.map((r) => ({
    index: r.index,
    row: r.row,
    response: responses[r.index],
  }));
  // In the engine worker, like a run's scoring: the language server stays responsive meanwhile.
  const samples = await scoreInWorker(
    inputs,
    { embedModel: options.embedModel, multilingualEmbedModel: options.multilingualEmbedModel },
    options.onModelProgress &&
      ((p) => options.onModelProgress!(p.model, p.file, p.loaded, p.total)),
  );
  return { dataset, samples, report: aggregate(samples) };
}
