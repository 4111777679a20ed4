/**
 * Wires the results views to the engine: the sidebar's compact run list (extension/panel/
 * resultsView.ts) and the report panel in the editor area (extension/panel/reportPanel.ts), both
 * asking through one PanelEngine over the language client, both told about finished questions.
 */
import * as vscode from 'vscode';
import type { RecordNotificationParams } from '../server/protocol/runs';
import type { EngineClient } from './engineClient';
import { CompareRunsRequest, GetRunRequest, ListRunsRequest } from '../server/protocol/messages';
import type { PanelEngine } from './panel/panelEngine';
import { SharedBaseline } from './panel/panelHost';
import { registerReportPanel, ReportPanel } from './panel/reportPanel';
import { registerResultsView, ResultsViewProvider } from './panel/resultsView';
import { registerCommand } from './commandRunner';
import type { McpoConfig } from './settings';

/** Opens the report panel; an optional run folder to show. */
export const OPEN_REPORT_COMMAND = 'mcpo.openReport';
/** Shows an ablation's (or other) tables in the report panel: `{ tables, runDirs, title? }`. */
export const SHOW_ABLATION_COMMAND = 'mcpo.showAblation';

export interface ResultsView {
  /** Lists runs again; `select` is a run to show (one that just finished). */
  refresh(select?: string): void;
  postRecord(params: RecordNotificationParams): void;
  /** Opens the report panel in the editor area. */
  openReport(runDir?: string): void;
}

export function createResultsView(
  context: vscode.ExtensionContext,
  engine: EngineClient,
  config: McpoConfig,
  log: vscode.LogOutputChannel,
): ResultsView {
  // The engine's openReport needs the panel, and the panel needs the engine: resolved lazily.
  let report: ReportPanel | undefined = undefined;
  const live = new Set<string>();
  const panelEngine: PanelEngine = {
    listRuns: (baselineDir) =>
      engine.send(ListRunsRequest, { runsDir: config.pipeline.runsDir, baselineDir }),
    getRun: (runDir) => engine.send(GetRunRequest, { runDir }),
    compareRuns: (baselineDir, candidateDir) =>
      engine.send(CompareRunsRequest, { baselineDir, candidateDir }),
    // The same road as the command palette's Show Prompt (errors are shown there), to the diff.
    openPromptDiff: async (runDir, index) => {
      await vscode.commands.executeCommand('mcpo.showPromptDiff', runDir, index, {
        sideBySide: true,
      });
    },
    exportScores: async (runDir) => {
      await vscode.commands.executeCommand('mcpo.exportScores', runDir);
    },
    openReport: (runDir) => {
      report?.open(runDir);
      return Promise.resolve();
    },
    openRow: async (file, line) => {
      const position = new vscode.Position(Math.max(0, line - 1), 0);
      const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), {
        preview: false,
        selection: new vscode.Range(position, position),
      });
      editor.revealRange(
        new vscode.Range(position, position),
        vscode.TextEditorRevealType.InCenter,
      );
    },
    liveRuns: () => live,
  };
  const baseline = new SharedBaseline(context.workspaceState);
  const sidebar = new ResultsViewProvider(context.extensionUri, panelEngine, baseline, log);
  const opened = new ReportPanel(context.extensionUri, panelEngine, baseline, log);
  report = opened;
  context.subscriptions.push(
    baseline,
    sidebar,
    opened,
    registerResultsView(sidebar),
    // Both views show a run as live from its start, before its first question finishes.
    engine.onRunState((state) => {
      if (state.state === 'started') live.add(state.runDir);
      else live.delete(state.runDir);
      sidebar.postRunState(state);
      opened.postRunState(state);
    }),
    registerReportPanel(opened),
    registerCommand(
      OPEN_REPORT_COMMAND,
      async (runDir?: unknown, options?: unknown) =>
        opened.open(
          typeof runDir === 'string' ? runDir : undefined,
          typeof options === 'object' && options !== null && 'preserveFocus' in options
            ? options.preserveFocus === true
            : false,
        ),
      log,
    ),
    registerCommand(
      SHOW_ABLATION_COMMAND,
      async (result?: unknown) => {
        if (!isAblation(result)) throw new Error('mcpo.showAblation needs { tables, runDirs }');
        opened.showAblation(result.tables, result.runDirs, result.title);
      },
      log,
    ),
  );
  return {
    refresh: (select) => {
      sidebar.refresh(select);
      opened.refresh(select);
    },
    postRecord: (params) => {
      sidebar.postRecord(params);
      opened.postRecord(params);
    },
    openReport: (runDir) => opened.open(runDir),
  };
}

function isAblation(
  value: unknown,
): value is { tables: string; runDirs: string[]; title?: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.tables === 'string' &&
    Array.isArray(v.runDirs) &&
    v.runDirs.every((d) => typeof d === 'string') &&
    (v.title === undefined || typeof v.title === 'string')
  );
}
