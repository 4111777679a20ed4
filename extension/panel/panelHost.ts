/**
 * Serves one results webview — the sidebar's compact run list or the report panel in the editor
 * area — from dist/media and media, answers its requests through a `PanelEngine`, and forwards
 * live records. Both kinds speak media/protocol.ts; the sidebar only lists runs and opens the
 * report. The sidebar's page may be destroyed whenever it is hidden: it restores its own UI state
 * from `vscode.getState()` and sends `ready` again; nothing is posted in between. The report's is
 * kept while hidden (reportPanel.ts) and keeps receiving records.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type {
  AblationMessage,
  ExtensionToPanel,
  PanelRequest,
  PanelState,
  PanelToExtension,
  RunReport,
} from '../../media/protocol';
import type {
  RecordNotificationParams,
  RunListItem,
  RunStateParams,
} from '../../server/protocol/runs';
import type { PanelEngine } from './panelEngine';
import { renderPanelHtml } from './panelHtml';
import { parsePanelMessage } from './panelMessages';

/** Runs drawn in the chart across runs: the newest ones (each costs a getRun the first time). */
export const MAX_CHART_RUNS = 20;

/** Where errors go; the extension passes its LogOutputChannel. */
export type PanelLog = Pick<vscode.LogOutputChannel, 'error' | 'info'>;

export type PanelKind = 'sidebar' | 'report';

/** A fresh nonce for each render of the page. */
export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

/** The baseline chosen in the report, shared with the sidebar (its deltas are from it). */
export class SharedBaseline implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<string | null>();
  readonly onDidChange = this.emitter.event;
  constructor(private readonly memento: vscode.Memento) {}
  get value(): string | null {
    return this.memento.get<string | null>('mcpo.report.baselineDir', null);
  }
  set(value: string | null): void {
    if (value === this.value) return;
    void this.memento.update('mcpo.report.baselineDir', value);
    this.emitter.fire(value);
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class PanelHost implements vscode.Disposable {
  /** True between the page's `ready` and it being hidden or disposed. */
  private ready = false;
  /** A run to select at the next listing (set by refresh(select) before the page is ready). */
  private pendingSelect: string | undefined;
  /** An ablation to show once the page is ready. */
  private pendingAblation: AblationMessage | undefined;
  /** What the page last reported (selected run and baseline steer comparisons). */
  private state: PanelState | undefined;
  /** Chart reports by run, keyed so a run that changed (more records) is read again. */
  private readonly reports = new Map<string, { key: string; report: RunReport }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    extensionUri: vscode.Uri,
    private readonly kind: PanelKind,
    private readonly engine: PanelEngine,
    private readonly baseline: SharedBaseline,
    private readonly log: PanelLog,
    restoredState?: unknown,
  ) {
    const restored = parsePanelMessage({ type: 'setState', state: restoredState });
    if (restored?.type === 'setState') this.state = restored.state;
    const mediaRoots = [
      vscode.Uri.joinPath(extensionUri, 'dist', 'media'),
      vscode.Uri.joinPath(extensionUri, 'media'),
    ];
    webview.options = { enableScripts: true, localResourceRoots: mediaRoots };
    webview.html = renderPanelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview
        .asWebviewUri(
          vscode.Uri.joinPath(mediaRoots[0], kind === 'sidebar' ? 'sidebar.js' : 'panel.js'),
        )
        .toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(mediaRoots[1], 'panel.css')).toString(),
      nonce: createNonce(),
      title: kind === 'sidebar' ? 'MCPO Runs' : 'MCPO Report',
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = parsePanelMessage(raw);
        if (message === undefined) {
          this.log.error(
            `MCPO Results: ignored a malformed message from the page: ${safeJson(raw)}`,
          );
          return;
        }
        void this.handle(message);
      }),
      // The sidebar's deltas follow the baseline chosen in the report.
      baseline.onDidChange(() => {
        if (this.kind === 'sidebar') this.refresh();
      }),
    );
  }

  /** The page was hidden and destroyed (the sidebar): nothing is posted until it is `ready` again. */
  hidden(): void {
    this.ready = false;
  }

  /** A question of a running run finished (from the `mcpo/record` notification). */
  postRecord(params: RecordNotificationParams): void {
    this.reports.delete(params.runDir);
    this.post({ type: 'record', params });
  }

  /** A run started or ended: a started run shows as live before its first question finishes. */
  postRunState(params: RunStateParams): void {
    this.post({ type: 'runState', params });
  }

  /** Lists the runs again; `select` names a run to show, e.g. one that just finished. */
  refresh(select?: string): void {
    if (select !== undefined) this.pendingSelect = select;
    if (!this.ready) return;
    void this.sendRuns(undefined).catch((err: unknown) => this.fail('refresh', undefined, err));
  }

  /** Shows an ablation's tables (report panel). */
  showAblation(tables: string, runDirs: string[], title?: string): void {
    this.pendingAblation = { type: 'ablation', tables, runDirs, ...(title ? { title } : {}) };
    if (this.ready) this.flushAblation();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private flushAblation(): void {
    if (this.pendingAblation === undefined) return;
    this.post(this.pendingAblation);
  }

  private post(message: ExtensionToPanel): void {
    if (!this.ready) return;
    void this.webview.postMessage(message);
  }

  private async handle(message: PanelToExtension): Promise<void> {
    if (message.type === 'setState') {
      this.state = message.state;
      if (this.kind === 'report') this.baseline.set(message.state.baselineDir);
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
        this.flushAblation();
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
        return;
      }
      case 'selectBaseline': {
        this.state = { ...this.currentState(), baselineDir: message.runDir };
        this.baseline.set(message.runDir);
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
      case 'openRow': {
        const run = await this.engine.getRun(message.runDir);
        const line = run.rowLines?.[message.index];
        if (line === undefined)
          throw new Error(
            `row ${message.index + 1} of ${run.config.data.file} cannot be found (the file moved or changed)`,
          );
        await this.engine.openRow(run.config.data.file, line);
        this.post({ type: 'done', requestId: message.id });
        return;
      }
      case 'openReport':
        await this.engine.openReport(message.runDir || undefined);
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
        baselineDir: this.baseline.value,
        filters: { track: null, taskType: null, status: 'all' },
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
    const result = await this.engine.compareRuns(baselineDir, candidateDir);
    this.post({ type: 'comparison', requestId, baselineDir, candidateDir, ...result });
  }

  /** The run list, then (report only) the chart's reports: slower, one getRun per run not cached. */
  private async sendRuns(requestId: number | undefined): Promise<void> {
    const baselineDir = this.baseline.value;
    const runs = await this.engine.listRuns(baselineDir ?? undefined);
    const select = this.pendingSelect;
    this.pendingSelect = undefined;
    this.post({
      type: 'runs',
      requestId,
      runs,
      baselineDir,
      ...(select !== undefined ? { select } : {}),
    });
    // A view opened (or re-created) mid-run missed the run's start: it is live, not incomplete.
    for (const runDir of this.engine.liveRuns())
      this.post({ type: 'runState', params: { runDir, state: 'started' } });
    if (this.kind === 'sidebar') return;
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
    // Oldest first, so the chart reads in the order the runs were made.
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
  openRow: 'Opening the row',
  openReport: 'Opening the report',
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
