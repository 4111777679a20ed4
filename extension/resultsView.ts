/**
 * Wires the results panel (extension/panel/) to the engine: the panel asks through PanelEngine,
 * which is implemented here over the language client, and is told about finished questions.
 */
import * as vscode from 'vscode';
import type { RecordNotificationParams } from '../server/protocol';
import type { EngineClient } from './engineClient';
import { ResultsViewProvider } from './panel/resultsView';
import type { PanelEngine } from './panel/panelEngine';
import type { PromptDiff } from './promptDiff';
import { readPipelineSettings } from './settings';

export interface ResultsView {
  /** Lists runs again; `select` is a run to show (one that just finished). */
  refresh(select?: string): void;
  postRecord(params: RecordNotificationParams): void;
}

export function createResultsView(context: vscode.ExtensionContext, engine: EngineClient, promptDiff: PromptDiff, log: vscode.LogOutputChannel): ResultsView {
  const panelEngine: PanelEngine = {
    listRuns: () => engine.listRuns(readPipelineSettings().runsDir),
    getRun: (runDir) => engine.getRun(runDir),
    compareRuns: (baselineDir, candidateDir) => engine.compareRuns(baselineDir, candidateDir),
    openPromptDiff: async (runDir, index) => {
      const run = await engine.getRun(runDir);
      const record = run.records.find((r) => r.index === index);
      if (!record?.prompt) throw new Error(`question ${index + 1} has no assembled prompt${record?.error ? `: ${record.error.message}` : ''}`);
      await promptDiff.show(record.prompt, `${run.config.label} · question ${index + 1}`, record);
    },
    exportScores: async (runDir) => {
      await vscode.commands.executeCommand('mcpo.exportScores', runDir);
    },
  };
  const provider = new ResultsViewProvider(context.extensionUri, panelEngine, log);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(ResultsViewProvider.viewType, provider));
  return {
    refresh: (select) => provider.refresh(select),
    postRecord: (params) => provider.postRecord(params),
  };
}
