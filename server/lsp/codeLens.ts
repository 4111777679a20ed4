/** Code lenses above dataset rows: run it, compare it with a baseline run, show its prompt. */
import type { CodeLens } from 'vscode-languageserver';
import type { DatasetDocument } from './datasetDocument';

/** Lenses only for the first rows: a lens per row of a 100,000-row file would cost more than it helps. */
export const MAX_LENS_ROWS = 2000;

/**
 * Which rows get lenses (setting `mcpo.codeLens.density`): none, the first row of each task (a
 * file stays readable: three lenses on every row double its height), or every row.
 */
export type LensDensity = 'none' | 'firstOfTask' | 'all';
export const LENS_DENSITIES: readonly LensDensity[] = ['none', 'firstOfTask', 'all'];
export const DEFAULT_LENS_DENSITY: LensDensity = 'firstOfTask';

export function parseLensDensity(value: unknown): LensDensity {
  return LENS_DENSITIES.find((d) => d === value) ?? DEFAULT_LENS_DENSITY;
}

export function rowLenses(
  dataset: DatasetDocument,
  density: LensDensity = DEFAULT_LENS_DENSITY,
  maxRows = MAX_LENS_ROWS,
): CodeLens[] {
  if (density === 'none') return [];
  const lenses: CodeLens[] = [];
  const rows = dataset.rows;
  const tasksSeen = new Set<string>();
  for (let i = 0; i < rows.length && i < maxRows; i++) {
    if (density === 'firstOfTask') {
      // A row that cannot be read has no task: it gets lenses, as the first of its own kind.
      const task = dataset.checkOf(rows[i]).summary.task_name;
      if (task !== undefined) {
        if (tasksSeen.has(task)) continue;
        tasksSeen.add(task);
      }
    }
    const at = { line: rows[i].line, character: rows[i].character };
    const range = { start: at, end: at };
    const args = [dataset.uri, i];
    lenses.push(
      { range, command: { title: 'Run MCPO', command: 'mcpo.runRow', arguments: args } },
      {
        range,
        command: { title: 'Compare with baseline', command: 'mcpo.compareRow', arguments: args },
      },
      { range, command: { title: 'Show prompt', command: 'mcpo.showPrompt', arguments: args } },
    );
  }
  return lenses;
}
