/**
 * Wires the results panel (extension/panel/) to the engine: the panel asks through PanelEngine,
 * which is implemented here over the language client, and is told about finished questions.
 */
import * as vscode from 'vscode';
import type { RecordNotificationParams } from '../server/protocol';
import type { EngineClient } from './engineClient';
import { registerResultsView, ResultsViewProvider } from './panel/resultsView';
import type { PanelEngine } from './panel/panelEngine';
import { readPipelineSettings } from './settings';

export interface ResultsView {
  /** Lists runs again; `select` is a run to show (one that just finished). */
  refresh(select?: string): void;
  postRecord(params: RecordNotificationParams): void;
}

export function createResultsView(
  context: vscode.ExtensionContext,
  engine: EngineClient,
  log: vscode.LogOutputChannel,
): ResultsView {
  const panelEngine: PanelEngine = {
    listRuns: () => engine.listRuns(readPipelineSettings().runsDir),
    getRun: (runDir) => engine.getRun(runDir),
    compareRuns: (baselineDir, candidateDir) => engine.compareRuns(baselineDir, candidateDir),
    // The same road as the command palette's Show Prompt Diff (errors are shown there).
    openPromptDiff: async (runDir, index) => {
      await vscode.commands.executeCommand('mcpo.showPromptDiff', runDir, index);
    },
    exportScores: async (runDir) => {
      await vscode.commands.executeCommand('mcpo.exportScores', runDir);
    },
  };
  const provider = new ResultsViewProvider(context.extensionUri, panelEngine, log);
  context.subscriptions.push(provider, registerResultsView(provider));
  return {
    refresh: (select) => provider.refresh(select),
    postRecord: (params) => provider.postRecord(params),
  };
}
