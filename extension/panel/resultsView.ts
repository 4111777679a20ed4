/**
 * The extension side of the "MCPO Results" side panel (view `mcpo.results` in the `mcpo`
 * activity-bar container). It serves the webview app from dist/media and media, answers the
 * webview's requests through a `PanelEngine` (the language client), and forwards live records.
 *
 * The view does not retain its context when hidden: VS Code destroys the page, the app restores
 * its own UI state from `vscode.getState()` when shown again and sends `ready`, and nothing is
 * posted in between (messages to a hidden page are lost anyway).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type {
  ExtensionToPanel,
  PanelRequest,
  PanelState,
  PanelToExtension,
  RunReport,
} from '../../media/protocol';
import type { RecordNotificationParams, RunListItem } from '../../server/protocol';
import type { PanelEngine } from './panelEngine';
import { renderPanelHtml } from './panelHtml';
import { parsePanelMessage } from './panelMessages';

/** Runs drawn in the per-task chart: the newest ones (each costs a getRun the first time). */
export const MAX_CHART_RUNS = 8;

/** Where errors go; the extension passes its LogOutputChannel. */
export type PanelLog = Pick<vscode.LogOutputChannel, 'error' | 'info'>;

/** A fresh nonce for each render of the page. */
export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

export class ResultsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'mcpo.results';

  private view: vscode.WebviewView | undefined;
  /** True between the page's `ready` and it being hidden or disposed. */
  private ready = false;
  /** A run to select at the next listing (set by refresh(select) before the view may exist). */
  private pendingSelect: string | undefined;
  /** What the page last reported (selected run and baseline matter here: they steer comparisons). */
  private state: PanelState | undefined;
  /** Chart reports by run, keyed so a run that changed (more records) is read again. */
  private readonly reports = new Map<string, { key: string; report: RunReport }>();
  private readonly viewDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: PanelEngine,
    private readonly log: PanelLog = {
      error: (m: string) => console.error(m),
      info: (m: string) => console.info(m),
    },
  ) {}

  resolveWebviewView(
    view: vscode.WebviewView,
    context: vscode.WebviewViewResolveContext<unknown>,
  ): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    // The page's saved state, when VS Code re-creates a view it had disposed.
    const restored = parsePanelMessage({ type: 'setState', state: context.state });
    if (restored?.type === 'setState') this.state = restored.state;

    const mediaRoots = [
      vscode.Uri.joinPath(this.extensionUri, 'dist', 'media'),
      vscode.Uri.joinPath(this.extensionUri, 'media'),
    ];
    view.webview.options = { enableScripts: true, localResourceRoots: mediaRoots };
    view.webview.html = renderPanelHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview
        .asWebviewUri(vscode.Uri.joinPath(mediaRoots[0], 'panel.js'))
        .toString(),
      styleUri: view.webview
        .asWebviewUri(vscode.Uri.joinPath(mediaRoots[1], 'panel.css'))
        .toString(),
      nonce: createNonce(),
    });

    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parsePanelMessage(raw);
        if (message === undefined) {
          this.log.error(
            `MCPO Results: ignored a malformed message from the panel: ${safeJson(raw)}`,
          );
          return;
        }
        void this.handle(message);
      }),
      view.onDidChangeVisibility(() => {
        // A hidden page is destroyed; it sends `ready` again when shown.
        if (!view.visible) this.ready = false;
      }),
      view.onDidDispose(() => {
        this.ready = false;
        this.view = undefined;
        this.disposeView();
      }),
    );
  }

  /** A question of a running run finished (from the `mcpo/record` notification). */
  postRecord(params: RecordNotificationParams): void {
    this.reports.delete(params.runDir);
    this.post({ type: 'record', params });
  }

  /** Lists the runs again (a run started or finished); `select` names a run to show, e.g. one that just finished. */
  refresh(select?: string): void {
    if (select !== undefined) this.pendingSelect = select;
    if (this.view === undefined || !this.ready) return;
    void this.sendRuns(undefined).catch((err: unknown) => this.fail('refresh', undefined, err));
  }

  dispose(): void {
    this.disposeView();
    this.view = undefined;
  }

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
  }

  private post(message: ExtensionToPanel): void {
    if (this.view === undefined || !this.ready) return;
    void this.view.webview.postMessage(message);
  }

  private async handle(message: PanelToExtension): Promise<void> {
    if (message.type === 'setState') {
      this.state = message.state;
      return;
    }
    try {
      await this.answer(message);
    } catch (err) {
      this.fail(message.type, message.id, err);
    }
  }

  private async answer(message: PanelRequest): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        await this.sendRuns(message.id);
        return;
      case 'refresh':
        this.reports.clear();
        await this.sendRuns(message.id);
        return;
      case 'selectRun': {
        // Set before the first await: a selectBaseline posted right after compares against this run.
        this.state = { ...this.currentState(), selectedRunDir: message.runDir };
        const result = await this.engine.getRun(message.runDir);
        this.post({ type: 'run', requestId: message.id, runDir: message.runDir, result });
        // No comparison here: the page follows with selectBaseline, so its state stays the one truth.
        return;
      }
      case 'selectBaseline': {
        this.state = { ...this.currentState(), baselineDir: message.runDir };
        const candidate = this.state.selectedRunDir;
        if (message.runDir !== null && candidate !== null && candidate !== message.runDir)
          await this.sendComparison(message.id, message.runDir, candidate);
        else this.post({ type: 'done', requestId: message.id });
        return;
      }
      case 'openPromptDiff':
        await this.engine.openPromptDiff(message.runDir, message.index);
        this.post({ type: 'done', requestId: message.id });
        return;
      case 'exportScores':
        await this.engine.exportScores(message.runDir);
        this.post({ type: 'done', requestId: message.id });
        return;
      default: {
        const unhandled: never = message;
        throw new Error(`unhandled panel message ${safeJson(unhandled)}`);
      }
    }
  }

  private currentState(): PanelState {
    return (
      this.state ?? {
        selectedRunDir: null,
        baselineDir: null,
        filters: { track: null, taskType: null, failuresOnly: false },
        selectedIndex: null,
        scrollTop: 0,
      }
    );
  }

  private async sendComparison(
    requestId: number,
    baselineDir: string,
    candidateDir: string,
  ): Promise<void> {
    const { differences } = await this.engine.compareRuns(baselineDir, candidateDir);
    this.post({ type: 'comparison', requestId, baselineDir, candidateDir, differences });
  }

  /** The run list, then the chart's reports (slower: one getRun per run not cached). */
  private async sendRuns(requestId: number | undefined): Promise<void> {
    const runs = await this.engine.listRuns();
    const select = this.pendingSelect;
    this.pendingSelect = undefined;
    this.post({ type: 'runs', requestId, runs, ...(select !== undefined ? { select } : {}) });
    const charted = runs.slice(0, MAX_CHART_RUNS);
    const settled = await Promise.allSettled(charted.map((run) => this.reportOf(run)));
    const reports: RunReport[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') reports.push(s.value);
      // One unreadable run should not hide the others' chart.
      else
        this.log.error(
          `MCPO Results: could not read ${charted[i].runDir} for the chart: ${errorMessage(s.reason)}`,
        );
    });
    // Oldest first, so the legend reads in the order the runs were made.
    this.post({ type: 'runReports', requestId, reports: reports.reverse() });
  }

  private async reportOf(run: RunListItem): Promise<RunReport> {
    const key = `${run.questions}:${run.failed}:${run.overall ?? ''}`;
    const cached = this.reports.get(run.runDir);
    if (cached?.key === key) return cached.report;
    const result = await this.engine.getRun(run.runDir);
    const report: RunReport = {
      runDir: run.runDir,
      label: run.label || run.runId,
      report: result.report,
    };
    this.reports.set(run.runDir, { key, report });
    return report;
  }

  private fail(what: string, requestId: number | undefined, err: unknown): void {
    const message = `${DESCRIPTIONS[what] ?? what} failed: ${errorMessage(err)}`;
    this.log.error(`MCPO Results: ${message}`);
    this.post({ type: 'error', requestId, message });
  }
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ready: 'Listing runs',
  refresh: 'Listing runs',
  selectRun: 'Reading the run',
  selectBaseline: 'Comparing with the baseline',
  openPromptDiff: 'Opening the prompt diff',
  exportScores: 'Exporting scores',
};

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Registers the provider; the page is not retained when hidden (it restores from its saved state). */
export function registerResultsView(provider: ResultsViewProvider): vscode.Disposable {
  return vscode.window.registerWebviewViewProvider(ResultsViewProvider.viewType, provider, {
    webviewOptions: { retainContextWhenHidden: false },
  });
}
