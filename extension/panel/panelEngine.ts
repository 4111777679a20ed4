/**
 * What the "MCPO Results" panel needs from the engine. The extension implements it over the
 * language client (server/protocol.ts requests); tests can pass a fake. Kept free of `vscode`
 * imports so the panel's provider is the only place that touches the VS Code API.
 */
import type { CompareRunsResult, GetRunResult, RunListItem } from '../../server/protocol';

export interface PanelEngine {
  /** `mcpo/listRuns` over the configured runs folder, newest first. */
  listRuns(): Promise<RunListItem[]>;
  /** `mcpo/getRun`: the run's configuration, records and scores. */
  getRun(runDir: string): Promise<GetRunResult>;
  /** `mcpo/compareRuns`: the candidate's differences from the baseline with 95% CIs. */
  compareRuns(baselineDir: string, candidateDir: string): Promise<CompareRunsResult>;
  /** Opens the question's original prompt against its assembled prompt (a diff editor with span decorations). */
  openPromptDiff(runDir: string, index: number): Promise<void>;
  /** Asks where to save the run's scores and writes them. Resolves quietly if the user cancels. */
  exportScores(runDir: string): Promise<void>;
}
