/**
 * What the prompt view shows, computed from provenance spans without `vscode` (unit-tested in
 * test/unit/promptView): the document text (a one-line colour key, a blank line, then the MCPO
 * prompt), the ranges each stage colours, the struck-through original each replaced span stands
 * for, hovers as escaped Markdown, and short titles. Nothing here re-diffs strings.
 */
import type { AssembledPrompt, ProvenanceSpan, RunRecord } from '../server/protocol/runs';

/** How a span is coloured: its stage, with the CoT layout's fixed headings apart from CoT text. */
export type SpanStyle = 'cot' | 'scaffold' | 'similarity' | 'template';

export const SPAN_STYLES: readonly SpanStyle[] = ['cot', 'scaffold', 'similarity', 'template'];

export const STYLE_LABELS: Record<SpanStyle, string> = {
  cot: 'chain of thought',
  scaffold: 'layout text',
  similarity: 'similarity hint',
  template: 'template',
};

/** The theme colour ids (package.json `contributes.colors`) of a style: background and border. */
export function styleColours(style: SpanStyle): { background: string; border: string } {
  return { background: `mcpo.prompt.${style}Background`, border: `mcpo.prompt.${style}Border` };
}
export const REPLACED_COLOUR = 'mcpo.prompt.replacedForeground';

export function spanStyle(span: ProvenanceSpan): SpanStyle {
  if (span.stage === 'cot') return span.role === 'scaffold' ? 'scaffold' : 'cot';
  return span.stage;
}

export interface KeyItem {
  /** A style's colour, or 'replaced' for the struck-through original. */
  style: SpanStyle | 'replaced';
  /** [start, end) of the label in the document text. */
  start: number;
  end: number;
}

export interface StyledRange {
  style: SpanStyle;
  /** [start, end) in the document text (the prompt's offsets shifted past the key line). */
  start: number;
  end: number;
  span: ProvenanceSpan;
}

export interface GhostText {
  /** Where the original is drawn (the start of the span that replaced it), in the document text. */
  at: number;
  /** The replaced original, on one line (newlines drawn as ⏎). */
  text: string;
  span: ProvenanceSpan;
}

export interface PromptViewModel {
  /** The key line, a blank line, then the final prompt. */
  text: string;
  /** Offset of the final prompt in `text`. */
  promptStart: number;
  key: KeyItem[];
  ranges: StyledRange[];
  ghosts: GhostText[];
}

const KEY_LEAD = 'Key: ';
const REPLACED_LABEL = 'replaced original';

export function promptViewModel(prompt: AssembledPrompt): PromptViewModel {
  const present = new Set(prompt.spans.map(spanStyle));
  const hasReplaced = prompt.spans.some((s) => s.kind === 'replaced' && s.original);
  const key: KeyItem[] = [];
  let header = KEY_LEAD;
  const addKey = (style: KeyItem['style'], label: string): void => {
    if (key.length > 0) header += '  ';
    key.push({ style, start: header.length, end: header.length + label.length });
    header += label;
  };
  for (const style of SPAN_STYLES) if (present.has(style)) addKey(style, STYLE_LABELS[style]);
  if (hasReplaced) addKey('replaced', REPLACED_LABEL);
  header +=
    key.length === 0
      ? 'no stage changed this prompt (no template, chain of thought or hint)'
      : '  · hover a span for its stage, model and scores';
  const promptStart = header.length + 2;
  const text = `${header}\n\n${prompt.final}`;
  const ranges: StyledRange[] = [];
  const ghosts: GhostText[] = [];
  for (const span of prompt.spans) {
    if (span.end > span.start)
      ranges.push({
        style: spanStyle(span),
        start: promptStart + span.start,
        end: promptStart + span.end,
        span,
      });
    if (span.kind === 'replaced' && span.original)
      ghosts.push({ at: promptStart + span.start, text: oneLine(span.original), span });
  }
  return { text, promptStart, key, ranges, ghosts };
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '⏎');
}

/** The span under a document offset (a ghost's span when the offset is where it is drawn). */
export function spanAt(model: PromptViewModel, offset: number): StyledRange | undefined {
  const inside = model.ranges.find((r) => r.start <= offset && offset < r.end);
  if (inside) return inside;
  const ghost = model.ghosts.find((g) => g.at === offset);
  return ghost
    ? { style: spanStyle(ghost.span), start: ghost.at, end: ghost.at, span: ghost.span }
    : undefined;
}

/** Markdown with every character Markdown could read as syntax escaped (model and user text). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&').replace(/\r?\n/g, ' ⏎ ');
}

/** A cached answer was replayed from the response cache, not asked of the model again. */
function cacheNote(what: string, cached: boolean | undefined): string | undefined {
  if (cached === undefined) return undefined;
  return cached
    ? `${what}: **cached** (replayed from the response cache, not sent again)`
    : `${what}: fresh from the model`;
}

/** The hover of one span: stage, kind, model, replaced original, every option's score, cache marks. */
export function spanHoverMarkdown(span: ProvenanceSpan, record?: RunRecord): string {
  const style = spanStyle(span);
  const lines: string[] = [];
  let head = `**${STYLE_LABELS[style]}** · ${span.kind}`;
  if (span.model) head += ` by \`${span.model.replace(/`/g, "'")}\``;
  lines.push(head);
  if (style === 'scaffold')
    lines.push('Fixed text of the chain-of-thought layout, not written by a model.');
  if (style === 'template' && !span.original && span.kind === 'inserted')
    lines.push('Fixed text of the prompt template.');
  if (span.kind === 'replaced')
    lines.push(
      span.original
        ? `replaces ~~${escapeMarkdown(span.original)}~~ of the original question`
        : 'replaces nothing visible (an empty original)',
    );
  if (span.scores && span.scores.length > 0) {
    const k =
      record?.stages.similarity && 'k' in record.stages.similarity
        ? record.stages.similarity.k
        : undefined;
    lines.push(
      `${k !== undefined ? `top ${k} of ` : ''}${span.scores.length} options by cosine similarity to the question:`,
    );
    const table = ['| option | similarity | |', '|---:|---:|:--|'];
    span.scores.forEach((s, i) => {
      const text = s.text.length > 48 ? `${s.text.slice(0, 47)}…` : s.text;
      table.push(
        `| ${s.number} | ${s.score.toFixed(3)} | ${escapeMarkdown(text)}${k !== undefined && i < k ? ' **(in the hint)**' : ''} |`,
      );
    });
    lines.push(table.join('\n'));
  }
  if (record) {
    const notes = [
      style === 'cot' ? cacheNote('chain of thought', record.stages.cot?.cached) : undefined,
      cacheNote('answer', record.answer?.cached),
    ].filter((n): n is string => n !== undefined);
    if (notes.length > 0) lines.push(notes.join('  \n'));
  }
  return lines.join('\n\n');
}

/** The tab title: "Q65 · MCPO prompt" (row ordinal, 1-based), or a free-form question's. */
export function promptTitle(
  question: { index: number; task_name?: string } | undefined,
  what: 'MCPO prompt' | 'prompt preview' | 'original ↔ MCPO',
): string {
  if (!question) return what;
  const name = question.task_name === 'free-form' ? 'Free-form' : `Q${question.index + 1}`;
  return `${name} · ${what}`;
}
