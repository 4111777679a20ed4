/** Hover on a dataset row: what the row asks, how it is scored, its options and its truth. */
import type { Hover, Position } from 'vscode-languageserver';
import { findNumberedOptions } from '../dataset/options';
import { shortTrack } from '../protocol/runLabels';
import type { DatasetDocument, RowEntry } from './datasetDocument';
import { messageFor } from './datasetDocument';
import { escapeMarkdown, truncate } from './markdown';

const MAX_OPTIONS = 20;

export function rowHover(dataset: DatasetDocument, position: Position): Hover | null {
  const at = dataset.rowAt(position.line);
  if (!at) return null;
  const { index, entry } = at;
  let value: unknown;
  try {
    value = JSON.parse(entry.text);
  } catch {
    value = undefined;
  }
  const lines = [`**row ${index + 1}**`];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const field = (label: string, key: string, show = (text: string) => text): void => {
      if (key in o)
        lines.push(
          `${label}: ${escapeMarkdown(typeof o[key] === 'string' ? show(o[key] as string) : JSON.stringify(o[key]))}`,
        );
    };
    lines[0] += typeof o.task_name === 'string' ? ` · ${escapeMarkdown(o.task_name)}` : '';
    field('task type', 'task_type');
    field('metric', 'metric');
    // Named as the side bar, the report and the CLI tables name it; the row's text, right under
    // the hover, has the official name.
    field('track', 'track', shortTrack);
    if (typeof o.input_field === 'string') {
      const options = findNumberedOptions(o.input_field);
      if (options.length > 0) {
        lines.push('', `options (${options.length}):`, '');
        for (const opt of options.slice(0, MAX_OPTIONS))
          lines.push(`- ${opt.number}\\. ${escapeMarkdown(truncate(opt.text, 200))}`);
        if (options.length > MAX_OPTIONS) lines.push(`- … ${options.length - MAX_OPTIONS} more`);
      }
    }
    if ('output_field' in o) {
      lines.push(
        '',
        `truth: ${escapeMarkdown(truncate(typeof o.output_field === 'string' ? o.output_field : JSON.stringify(o.output_field), 500))}`,
      );
    }
  }
  const problems = dataset.checkOf(entry).problems;
  if (problems.length > 0) {
    lines.push(
      '',
      ...problems.map((p) => `- ${p.severity}: ${escapeMarkdown(messageFor(p, index))}`),
    );
  }
  return { contents: { kind: 'markdown', value: lines.join('  \n') }, range: rowRange(entry) };
}

/** The full range of a row's text. */
export function rowRange(entry: RowEntry): { start: Position; end: Position } {
  const lastNl = entry.text.lastIndexOf('\n');
  const end =
    lastNl < 0
      ? { line: entry.line, character: entry.character + entry.text.length }
      : { line: entry.line + entry.lineCount - 1, character: entry.text.length - lastNl - 1 };
  return { start: { line: entry.line, character: entry.character }, end };
}
