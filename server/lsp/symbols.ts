/** The outline: track → task (task_name · task_type · metric) → rows. */
import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver';
import type { DatasetDocument } from './datasetDocument';
import { rowRange } from './hover';

/** Row entries beyond this are left out of the outline (groups still span them): a huge outline helps nobody. */
export const MAX_ROW_SYMBOLS = 5000;

export function datasetSymbols(
  dataset: DatasetDocument,
  maxRows = MAX_ROW_SYMBOLS,
): DocumentSymbol[] {
  const tracks = new Map<string, { symbol: DocumentSymbol; tasks: Map<string, DocumentSymbol> }>();
  dataset.rows.forEach((entry, i) => {
    const s = dataset.checkOf(entry).summary;
    const range = rowRange(entry);
    const trackName = s.track ?? '(no track)';
    let track = tracks.get(trackName);
    if (!track) {
      track = {
        symbol: {
          name: trackName,
          kind: SymbolKind.Namespace,
          range,
          selectionRange: range,
          children: [],
        },
        tasks: new Map(),
      };
      tracks.set(trackName, track);
    }
    const taskName = `${s.task_name ?? '(no task_name)'} · ${s.task_type ?? '?'} · ${s.metric ?? '?'}`;
    let task = track.tasks.get(taskName);
    if (!task) {
      task = { name: taskName, kind: SymbolKind.Class, range, selectionRange: range, children: [] };
      track.tasks.set(taskName, task);
      track.symbol.children!.push(task);
    }
    extend(task, range);
    extend(track.symbol, range);
    if (i < maxRows)
      task.children!.push({
        name: `row ${i + 1}`,
        kind: SymbolKind.Object,
        range,
        selectionRange: range,
      });
  });
  return [...tracks.values()].map((t) => t.symbol);
}

/** Rows of a task can be spread over the file: the group spans from its first to its last row. */
function extend(symbol: DocumentSymbol, range: Range): void {
  if (before(range.start, symbol.range.start))
    symbol.range = { start: range.start, end: symbol.range.end };
  if (before(symbol.range.end, range.end))
    symbol.range = { start: symbol.range.start, end: range.end };
}

function before(a: Range['start'], b: Range['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}
