/**
 * The sidebar's "Results" view (`mcpo.results` in the `mcpo` activity-bar container): a compact
 * run list readable at a side bar's width; the full report opens in the editor area
 * (reportPanel.ts). The view does not retain its context when hidden.
 */
import * as vscode from 'vscode';
import type { RecordNotificationParams, RunStateParams } from '../../server/protocol/runs';
import type { PanelEngine } from './panelEngine';
import { PanelHost, type PanelLog, type SharedBaseline } from './panelHost';

export class ResultsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'mcpo.results';

  private host: PanelHost | undefined;
  private readonly viewDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: PanelEngine,
    private readonly baseline: SharedBaseline,
    private readonly log: PanelLog,
  ) {}

  resolveWebviewView(
    view: vscode.WebviewView,
    context: vscode.WebviewViewResolveContext<unknown>,
  ): void {
    this.disposeView();
    const host = new PanelHost(
      view.webview,
      this.extensionUri,
      'sidebar',
      this.engine,
      this.baseline,
      this.log,
      context.state,
    );
    this.host = host;
    this.viewDisposables.push(
      host,
      view.onDidChangeVisibility(() => {
        if (!view.visible) host.hidden();
      }),
      view.onDidDispose(() => {
        this.host = undefined;
        this.disposeView();
      }),
    );
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
    this.disposeView();
  }

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
  }
}

/** Registers the provider; the page is not retained when hidden (it restores from its saved state). */
export function registerResultsView(provider: ResultsViewProvider): vscode.Disposable {
  return vscode.window.registerWebviewViewProvider(ResultsViewProvider.viewType, provider, {
    webviewOptions: { retainContextWhenHidden: false },
  });
}
