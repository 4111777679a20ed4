/** Completion of `task_type`, `metric` and `track` values inside their value strings. */
import { CompletionItemKind, type CompletionItem, type Position } from 'vscode-languageserver';
import type { LineDocument } from './lineDocument';
import {
  METRICS,
  METRICS_FOR_TASK_TYPE,
  TASK_TYPES,
  TRACKS,
  isTaskType,
} from '../dataset/shopbench';

const VALUE_BEFORE_CURSOR = /"(task_type|metric|track)"\s*:\s*"([^"\\]*)$/;

export function valueCompletions(doc: LineDocument, position: Position): CompletionItem[] {
  const line = doc.line(position.line);
  const before = line.slice(0, position.character);
  const m = VALUE_BEFORE_CURSOR.exec(before);
  if (!m) return [];
  const field = m[1] as 'task_type' | 'metric' | 'track';
  // Replace the whole value, up to its closing quote, not just the typed prefix.
  const rest = /^[^"\\\r\n]*/.exec(line.slice(position.character))![0];
  const range = {
    start: { line: position.line, character: position.character - m[2].length },
    end: { line: position.line, character: position.character + rest.length },
  };
  const item = (label: string, preferred: boolean, detail?: string): CompletionItem => ({
    label,
    kind: CompletionItemKind.EnumMember,
    detail,
    sortText: `${preferred ? '0' : '1'}${label}`,
    textEdit: { range, newText: label },
  });
  if (field === 'task_type')
    return TASK_TYPES.map((t) => item(t, true, `scored by ${METRICS_FOR_TASK_TYPE[t].join(', ')}`));
  if (field === 'track') return TRACKS.map((t) => item(t, true));
  // Metrics that score this row's task type come first.
  const taskType = /"task_type"\s*:\s*"([^"\\]*)"/.exec(line)?.[1];
  const fitting: readonly string[] = isTaskType(taskType)
    ? METRICS_FOR_TASK_TYPE[taskType]
    : METRICS;
  return METRICS.map((metric) =>
    item(
      metric,
      fitting.includes(metric),
      fitting.includes(metric) && taskType ? `scores ${taskType}` : undefined,
    ),
  );
}
