/**
 * Which rows of its dataset a run covers: all of them, or with `--limit N` the rows whose index is
 * below N. One rule, read by the run (what to ask) and by reports (how many answers make it whole).
 */
import type { RunConfig } from './runTypes';

type DataScope = Pick<RunConfig['data'], 'rowCount' | 'limit' | 'invalid'>;

export function inRunScope(index: number, data: DataScope): boolean {
  return data.limit === undefined || index < data.limit;
}

/** How many questions the run covers when it is complete: invalid rows never run. */
export function questionsInScope(data: DataScope): number {
  const rows = data.limit === undefined ? data.rowCount : Math.min(data.limit, data.rowCount);
  return rows - (data.invalid ?? []).filter((index) => inRunScope(index, data)).length;
}
