/**
 * Builds the final prompt of one question from its templated segments, an optional similarity
 * hint and an optional chain of thought, recording a provenance span for every piece of text a
 * stage inserted or replaced.
 *
 * Without CoT: system + question (hint after the option list) + answer cue; removing inserted
 * spans and putting back the `original` of replaced spans gives the original prompt exactly.
 *
 * With CoT (reference layout): system + "[Question]\n" + question + "\n\n[Chain of Thought]\n" +
 * cot + "\n\n[Answer]\nTherefore, the answer is ". The question is cut where
 * `questionWithoutCue` cuts it: the answer cue and the whitespace before it are dropped (the
 * layout's "Therefore, the answer is " takes the cue's place, so a template's cue replacement is
 * not used). Removing inserted spans and restoring replaced ones gives `questionWithoutCue(original)`.
 */
import type { ShopBenchRow } from '../dataset/shopbench';
import type { AssembledPrompt, CotLayout, OptionScore, ProvenanceSpan } from './types';
import { COT_LAYOUT, questionWithoutCue } from './cot';
import { hintOffset } from './similarity';
import { originalText, type Segment, type TemplatedQuestion } from './templates';

export interface AssembleInput {
  row: ShopBenchRow;
  templated: TemplatedQuestion;
  similarity?: { block: string; model: string; scores: readonly OptionScore[] };
  cot?: { text: string; model: string; layout?: CotLayout };
}

type SpanInfo = Omit<ProvenanceSpan, 'start' | 'end'>;
interface Piece {
  text: string;
  span?: SpanInfo;
}

export function assemblePrompt(input: AssembleInput): AssembledPrompt {
  const { row, templated, similarity, cot } = input;
  const prompt = row.input_field;
  checkTemplated(prompt, templated);
  const cutoff = cot ? questionWithoutCue(prompt).length : originalText(templated.question).length;
  let hint: { at: number; piece: Piece } | undefined;
  if (similarity && similarity.block !== '') {
    const at = hintOffset(prompt);
    if (at === undefined)
      throw new Error(
        'assemblePrompt: a similarity block was given for a question without options',
      );
    const scores = similarity.scores.map(({ number, text, score }) => ({ number, text, score }));
    hint = {
      at: Math.min(at, cutoff),
      piece: {
        text: similarity.block,
        span: { stage: 'similarity', kind: 'inserted', model: similarity.model, scores },
      },
    };
  }
  const pieces: Piece[] = templated.system.map(segmentPiece);
  if (cot) {
    // The layout's headings are fixed text, not the model's: marked apart so views colour them apart.
    const scaffold: SpanInfo = { stage: 'cot', kind: 'inserted', role: 'scaffold' };
    const layout = cot.layout ?? COT_LAYOUT;
    pieces.push({ text: layout.question, span: scaffold });
    pieces.push(...questionPieces(templated.question, cutoff, hint));
    pieces.push(
      { text: layout.chain, span: scaffold },
      { text: cot.text, span: { stage: 'cot', kind: 'inserted', model: cot.model } },
      { text: layout.answer, span: scaffold },
    );
  } else {
    pieces.push(...questionPieces(templated.question, cutoff, hint));
    pieces.push(...templated.answerCue.map(segmentPiece));
  }
  return build(prompt, pieces);
}

/** Guards against segments made for another row: they must stand for exactly this prompt. */
function checkTemplated(prompt: string, t: TemplatedQuestion): void {
  if (originalText(t.system) !== '')
    throw new Error('assemblePrompt: system segments must not contain original text');
  if (originalText(t.question) + originalText(t.answerCue) !== prompt) {
    throw new Error(
      "assemblePrompt: the templated question does not stand for this row's input_field",
    );
  }
}

function segmentPiece(segment: Segment): Piece {
  if (segment.source === 'original') return { text: segment.text };
  if (segment.replaces === undefined)
    return { text: segment.text, span: { stage: 'template', kind: 'inserted' } };
  return {
    text: segment.text,
    span: { stage: 'template', kind: 'replaced', original: segment.replaces },
  };
}

/**
 * The question's pieces up to original offset `cutoff`, with the hint inserted at original
 * offset `hint.at` (before any segment starting there, splitting an original segment if needed).
 */
function questionPieces(
  segments: readonly Segment[],
  cutoff: number,
  hint: { at: number; piece: Piece } | undefined,
): Piece[] {
  const out: Piece[] = [];
  let pending = hint;
  let pos = 0;
  for (const segment of segments) {
    const length =
      segment.source === 'original' ? segment.text.length : (segment.replaces?.length ?? 0);
    // Original and replaced text past the cut is dropped; pure insertions survive up to the cut.
    if (length > 0 ? pos >= cutoff : pos > cutoff) break;
    if (pending && pending.at <= pos) {
      out.push(pending.piece);
      pending = undefined;
    }
    if (segment.source === 'original') {
      const kept = segment.text.slice(0, cutoff - pos);
      if (pending && pending.at < pos + kept.length) {
        const split = pending.at - pos;
        out.push({ text: kept.slice(0, split) }, pending.piece, { text: kept.slice(split) });
        pending = undefined;
      } else {
        out.push({ text: kept });
      }
    } else {
      out.push(segmentPiece(segment));
    }
    pos += length;
  }
  if (pending) out.push(pending.piece);
  return out;
}

function build(original: string, pieces: readonly Piece[]): AssembledPrompt {
  let final = '';
  const spans: ProvenanceSpan[] = [];
  for (const piece of pieces) {
    const start = final.length;
    final += piece.text;
    if (!piece.span) continue;
    // An empty insertion carries nothing; an empty replacement still records what it removed.
    if (piece.text === '' && piece.span.kind === 'inserted') continue;
    const span: ProvenanceSpan = { start, end: final.length, ...piece.span };
    const previous = spans[spans.length - 1];
    if (previous && mergeable(previous, span)) {
      previous.end = span.end;
      if (span.kind === 'replaced')
        previous.original = (previous.original ?? '') + (span.original ?? '');
    } else {
      spans.push(span);
    }
  }
  return { original, final, spans };
}

function mergeable(a: ProvenanceSpan, b: ProvenanceSpan): boolean {
  return (
    a.end === b.start &&
    a.stage === b.stage &&
    a.kind === b.kind &&
    a.role === b.role &&
    a.model === b.model &&
    a.scores === undefined &&
    b.scores === undefined
  );
}
