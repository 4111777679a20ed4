/**
 * Scores already computed, so that a re-run whose answers come from the response cache does no
 * scoring work again: no Japanese dictionary, no embedding model, no worker round trip.
 *
 * A score is a pure function of the row's task type, metric and truth, the raw response, the
 * models behind the embedding metrics, and the scorer's code; the key hashes exactly those.
 * SCORER_VERSION stands for the code: bump it whenever a parser, a metric or the tokenizers
 * change what they return. Entries are JSON lines appended to one file in the response cache's
 * folder (batched per turn, see LineAppender); a damaged line is skipped.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ShopBenchRow } from '../dataset/shopbench';
import type { SampleScore } from './evaluate';
import { DICTIONARY_FORMAT_VERSION } from './official/japaneseDictionary';
import type { ScoringModels } from '../workers/tasks';
import { LineAppender } from '../util/lineAppender';

/** Bump when any parser, metric or tokenizer changes a score or warning. */
export const SCORER_VERSION = 1;

const CACHE_FILE = `scores.v${SCORER_VERSION}.jsonl`;

/** The parts of a sample score that do not come from the row itself. */
export type StoredScore = Pick<SampleScore, 'parsed' | 'score' | 'dtype' | 'warnings'>;

interface Line extends StoredScore {
  key: string;
}

/** True when JSON carries `value` exactly (NaN, infinities and -0 it does not). */
function jsonExact(value: StoredScore): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value);
}

export class ScoreCache {
  private readonly file: string;
  private entries: Map<string, StoredScore> | undefined;
  private readonly log: LineAppender;

  constructor(cacheDir: string) {
    this.file = path.join(cacheDir, CACHE_FILE);
    this.log = new LineAppender(this.file);
  }

  /** The cache key of one scored answer. */
  static key(row: ShopBenchRow, response: string, models: ScoringModels): string {
    const model =
      row.metric === 'sent-transformer'
        ? (models.embedModel ?? '')
        : row.metric === 'multilingual-sent-transformer'
          ? (models.multilingualEmbedModel ?? '')
          : row.metric === 'jp-bleu'
            ? `dictionary format ${DICTIONARY_FORMAT_VERSION}`
            : '';
    return crypto
      .createHash('sha256')
      .update(
        JSON.stringify([
          SCORER_VERSION,
          row.task_type,
          row.metric,
          row.output_field,
          model,
          response,
        ]),
      )
      .digest('hex');
  }

  get(key: string): StoredScore | undefined {
    return this.load().get(key);
  }

  /** Stores a finished score; unscored rows and values JSON cannot carry exactly are skipped. */
  put(key: string, scored: SampleScore): void {
    if (scored.error !== undefined || scored.score === null) return;
    const entries = this.load();
    if (entries.has(key)) return;
    const stored: StoredScore = {
      parsed: scored.parsed,
      score: scored.score,
      dtype: scored.dtype,
      warnings: scored.warnings,
    };
    if (!jsonExact(stored)) return;
    entries.set(key, stored);
    // A cache that cannot be written only costs the speed-up of the next run.
    this.log
      .append(`${JSON.stringify({ key, ...stored } satisfies Line)}\n`)
      .catch(() => undefined);
  }

  /** Resolves once every score put so far is on disk (or could not be written). */
  flushed(): Promise<void> {
    return this.log.flushed();
  }

  private load(): Map<string, StoredScore> {
    if (this.entries) return this.entries;
    this.entries = new Map();
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return this.entries; // no cache yet
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const { key, ...stored } = JSON.parse(line) as Line;
        if (typeof key === 'string' && Array.isArray(stored.warnings))
          this.entries.set(key, stored);
      } catch {
        // A line cut short by a crash: skipped.
      }
    }
    return this.entries;
  }
}
