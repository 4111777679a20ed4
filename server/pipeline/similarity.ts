/**
 * Similarity hints (MCPO reference code, generalised from ranking to every question with
 * options): the options most similar to the question body (M_V embeddings; dot product as the
 * reference's process_similarity, or cosine) are repeated in an "[External information]" block
 * just after the option list. Pure functions: the runner
 * embeds the bodies and options of many questions in one batched call.
 */
import { findNumberedOptions, type NumberedOption } from '../dataset/options';
import type { OptionScore, SimilarityScore } from './types';
import { findAnswerCue } from './templates';

export const DEFAULT_SIMILARITY_WORDING =
  'The following items are very important and have a strong relevance to the query, and ranked by relevance.';

/** An option with its whole line as written ("3. Rough Country ..."), which the hint repeats. */
export interface QuestionOption extends NumberedOption {
  line: string;
}

export interface RankedOption extends OptionScore {
  line: string;
}

export interface SplitQuestion {
  /** What the options are compared with. */
  body: string;
  /** query: after "Query:"; quoted: the first '...' of a product-list question; text: the text before the list. */
  bodySource: 'query' | 'quoted' | 'text';
  options: QuestionOption[];
}

const QUERY_LINE = /^[ \t]*Query:[ \t]*(.*\S)/m;
// A quote not inside a word, so "Men's" does not open or close a quoted product name.
const QUOTED = /(?<!\w)'([^\n]*?\S)'(?!\w)/;
const LIST_HEADER = /^[^\n]*\bList:[ \t]*$/i;

/**
 * Splits a question into a body and its options (multiple-choice answers, ranking/retrieval
 * product lists, review snippets, aspects, candidate queries).
 *
 * Body rules (simple by design):
 * - options are looked for only before the trailing answer cue;
 * - the body is the text before the first option line, without a "... List:" header line;
 *   instructions after the list (e.g. "You should output ...") are left out;
 * - a "Query: ..." line, if any, is the body (reference code);
 * - for product lists ("Product List:") the first single-quoted text is the body (the query
 *   keyword of ranking, the bought product of task14), as in the reference code.
 */
export function splitQuestion(prompt: string): SplitQuestion | { reason: string } {
  const cue = findAnswerCue(prompt);
  const found = findNumberedOptions(cue ? prompt.slice(0, cue.start) : prompt);
  if (found.length < 2)
    return { reason: 'no numbered option list (two or more consecutive numbered lines) was found' };
  const options = found.map((o) => ({ ...o, line: prompt.slice(o.lineStart, o.lineEnd).trim() }));
  const lines = prompt.slice(0, found[0].lineStart).trimEnd().split('\n');
  const header = LIST_HEADER.test(lines[lines.length - 1]) ? lines.pop() : undefined;
  const before = lines.join('\n');
  const query = QUERY_LINE.exec(before);
  if (query) return { body: query[1].trim(), bodySource: 'query', options };
  const quoted = header !== undefined && /product/i.test(header) ? QUOTED.exec(before) : null;
  if (quoted) return { body: quoted[1].trim(), bodySource: 'quoted', options };
  const body = before.trim();
  if (body === '')
    return { reason: 'the question has no text before its options to compare them with' };
  return { body, bodySource: 'text', options };
}

/**
 * Where the hint goes in the original prompt: at the start of the line after the option list,
 * i.e. before the answer instruction ("You should output ...") or the answer cue.
 */
export function hintOffset(prompt: string): number | undefined {
  const split = splitQuestion(prompt);
  if ('reason' in split) return undefined;
  const last = split.options[split.options.length - 1];
  return Math.min(last.lineEnd + 1, prompt.length);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length)
    throw new Error(`cosine: vectors of different sizes (${a.length} and ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  // A zero vector (empty text) is similar to nothing rather than NaN, which would break sorting.
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Dot product (reference process_similarity: `query_embeddings @ item_embeddings.T`). */
export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length)
    throw new Error(`dot: vectors of different sizes (${a.length} and ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** Every option with its similarity to the body, best first; ties by option number. */
export function rankOptions(
  bodyVector: Float32Array,
  optionVectors: readonly Float32Array[],
  options: readonly (NumberedOption & { line?: string })[],
  scoreFunction: SimilarityScore = 'cosine',
): RankedOption[] {
  const similarity = scoreFunction === 'dot' ? dot : cosine;
  if (optionVectors.length !== options.length) {
    throw new Error(`rankOptions: ${optionVectors.length} vectors for ${options.length} options`);
  }
  return options
    .map((o, i) => ({
      number: o.number,
      text: o.text,
      score: similarity(bodyVector, optionVectors[i]),
      line: o.line ?? `${o.number}. ${o.text}`,
    }))
    .sort((a, b) => b.score - a.score || a.number - b.number);
}

/** The reference layout: "\n[External information]\n<wording>\n<top k option lines>\n"; '' when k is 0. */
export function similarityBlock(
  ranked: readonly OptionScore[],
  k: number,
  wording: string,
): string {
  const top = ranked.slice(0, Math.max(0, Math.floor(k)));
  if (top.length === 0) return '';
  const lines = top.map((s) =>
    'line' in s && typeof s.line === 'string' ? s.line : `${s.number}. ${s.text}`,
  );
  return `\n[External information]\n${wording}\n${lines.join('\n')}\n`;
}
