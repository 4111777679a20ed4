/**
 * Numbers and answers as people read them in toasts, quick picks and lenses: a fixed number of
 * decimals, "correct"/"wrong" rather than "true"/"false", "not scored" rather than 0 or null.
 * Plain functions without `vscode`, unit-tested in test/unit/promptView.
 */
import type { SampleValue } from '../server/protocol/runs';

/** A score or mean: 4 decimals, "not scored" when there is none. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? 'not scored'
    : value.toFixed(4);
}

/** One question's official per-sample value (accuracy true/false, a number, or [tp, fp, fn]). */
export function formatSampleValue(value: SampleValue | null | undefined): string {
  if (value === null || value === undefined) return 'not scored';
  if (typeof value === 'boolean') return value ? 'correct' : 'wrong';
  if (typeof value === 'number') return value.toFixed(4);
  const [tp, fp, fn] = value;
  return `tp ${tp} · fp ${fp} · fn ${fn}`;
}

/** A parsed answer or truth, short: lists joined, strings quoted and cut. */
export function formatAnswer(value: unknown, max = 60): string {
  if (value === undefined || value === null || value === '') return '—';
  if (Array.isArray(value)) return `[${value.map((v) => formatAnswer(v, max)).join(', ')}]`;
  if (typeof value === 'string') {
    const flat = value.replace(/\s+/g, ' ').trim();
    return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
  }
  return String(value);
}
