/** Code lenses above each row: run it, compare it with a baseline run, show its prompt. */
import type { CodeLens } from 'vscode-languageserver';
import type { DatasetDocument } from './datasetDocument';

/** Lenses only for the first rows: a lens per row of a 100,000-row file would cost more than it helps. */
export const MAX_LENS_ROWS = 2000;

export function rowLenses(dataset: DatasetDocument, maxRows = MAX_LENS_ROWS): CodeLens[] {
  const lenses: CodeLens[] = [];
  const rows = dataset.rows;
  for (let i = 0; i < rows.length && i < maxRows; i++) {
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
