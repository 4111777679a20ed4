/**
 * The run report in the editor area (like Jupyter's or the AI Toolkit's results): one panel,
 * revealed rather than duplicated, with room for per-track and per-task scores, the comparison
 * with a baseline, the chart across runs, every question and the ablation tables. Serialized,
 * so it comes back after a reload with the run it showed.
 */
import * as vscode from 'vscode';
import type { RecordNotificationParams, RunStateParams } from '../../server/protocol/runs';
import type { PanelEngine } from './panelEngine';
import { PanelHost, type PanelLog, type SharedBaseline } from './panelHost';

export class ReportPanel implements vscode.Disposable {
  static readonly viewType = 'mcpo.report';

  private panel: vscode.WebviewPanel | undefined;
  private host: PanelHost | undefined;
  private readonly panelDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: PanelEngine,
    private readonly baseline: SharedBaseline,
    private readonly log: PanelLog,
  ) {}

  /**
   * Opens (or reveals) the report; `runDir` is the run to show. `preserveFocus` keeps the
   * keyboard where it was (a report opened by a finished run must not take it from the editor).
   */
  open(runDir?: string, preserveFocus = false): void {
    if (this.panel === undefined) {
      const panel = vscode.window.createWebviewPanel(
        ReportPanel.viewType,
        'MCPO Report',
        { viewColumn: vscode.ViewColumn.Active, preserveFocus },
        // Kept while hidden: the report is where a user turns during a run, and a webview
        // re-created on reveal is blank until it loads again (1.7-4.5 s in code-server on a
        // busy machine: C5 of the s22 try). One page, so the memory is bounded.
        { enableScripts: true, retainContextWhenHidden: true },
      );
      this.attach(panel, undefined);
    } else this.panel.reveal(undefined, preserveFocus);
    // The page selects this run when it lists runs (now, or once it is ready).
    this.host?.refresh(runDir);
  }

  /** Shows an ablation's tables in the report. */
  showAblation(tables: string, runDirs: string[], title?: string): void {
    this.open(runDirs[runDirs.length - 1]);
    this.host?.showAblation(tables, runDirs, title);
  }

  /** VS Code restores a serialized panel after a reload. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    this.disposePanel();
    this.attach(panel, state);
  }

  postRecord(params: RecordNotificationParams): void {
    this.host?.postRecord(params);
  }

  postRunState(params: RunStateParams): void {
    this.host?.postRunState(params);
  }

  refresh(select?: string): void {
    this.host?.refresh(select);
  }

  dispose(): void {
    this.disposePanel();
    this.panel?.dispose();
  }

  private attach(panel: vscode.WebviewPanel, state: unknown): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'mcpo.svg');
    const host = new PanelHost(
      panel.webview,
      this.extensionUri,
      'report',
      this.engine,
      this.baseline,
      this.log,
      state,
    );
    this.host = host;
    this.panelDisposables.push(
      host,
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.host = undefined;
        this.disposePanel();
      }),
    );
  }

  private disposePanel(): void {
    for (const d of this.panelDisposables.splice(0)) d.dispose();
  }
}

export function registerReportPanel(report: ReportPanel): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(ReportPanel.viewType, {
    deserializeWebviewPanel: (panel: vscode.WebviewPanel, state: unknown) => {
      report.restore(panel, state);
      return Promise.resolve();
    },
  });
}
