/**
 * What the results views (the sidebar's run list and the report panel) need from the engine and
 * the workbench. The extension implements it over the language client (server/protocol/
 * requests) and VS Code commands; tests can pass a fake. Kept free of `vscode` imports so the
 * panel hosts are the only places that touch the VS Code API.
 */
import type { CompareRunsResult, GetRunResult, RunListItem } from '../../server/protocol/runs';

export interface PanelEngine {
  /** `mcpo/listRuns` over the configured runs folder, newest first (with deltas from `baselineDir`). */
  listRuns(baselineDir?: string): Promise<RunListItem[]>;
  /** `mcpo/getRun`: the run's configuration, records, scores and row lines. */
  getRun(runDir: string): Promise<GetRunResult>;
  /** `mcpo/compareRuns`: the candidate's differences from the baseline with 95% CIs. */
  compareRuns(baselineDir: string, candidateDir: string): Promise<CompareRunsResult>;
  /** Opens the question's original prompt against its assembled prompt. */
  openPromptDiff(runDir: string, index: number): Promise<void>;
  /** Asks where to save the run's scores and writes them. Resolves quietly if the user cancels. */
  exportScores(runDir: string): Promise<void>;
  /** Opens the report panel in the editor area, showing `runDir` (or the remembered run). */
  openReport(runDir?: string): Promise<void>;
  /** Opens a data file with the cursor on a 1-based line (the row of a question). */
  openRow(file: string, line: number): Promise<void>;
  /** Runs that started and have not ended: a view opened mid-run shows them as live. */
  liveRuns(): Iterable<string>;
}
