/** The one status item: it renders the status model (statusModel.ts) and nothing else writes it. */
import * as vscode from 'vscode';
import type {
  EndpointHealth,
  LocalModelParams,
  RecordNotificationParams,
  RunStateParams,
} from '../server/protocol/runs';
import {
  afterRecord,
  afterRunState,
  afterSettingsChange,
  INITIAL_STATUS,
  renderStatus,
  type StatusState,
  type StatusView,
} from './statusModel';
import { settingCommand } from './commandRunner';

export class McpoStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'mcpo.status',
    vscode.StatusBarAlignment.Left,
    10,
  );
  private state: StatusState = INITIAL_STATUS;
  private readonly changed = new vscode.EventEmitter<StatusView>();
  /** The item shows something else (the extension's API passes it on to tests). */
  readonly onDidChange = this.changed.event;
  /** The newest check: an older check that answers late (the endpoints changed since) is stale. */
  private checks = 0;

  constructor() {
    this.item.name = 'MCPO';
    this.render();
    this.item.show();
  }

  /** What the item shows now (the extension's API passes it on to tests). */
  get view(): StatusView {
    return renderStatus(this.state);
  }

  /** A check of the endpoints starts; returns the ticket its results are given with. */
  checking(): number {
    this.update({ health: { kind: 'checking' } });
    return ++this.checks;
  }

  /**
   * The results of the check `ticket` started, or undefined when it could not be made. Ignored
   * if a newer check has started since: those results are about endpoints no longer configured.
   */
  setHealth(ticket: number, endpoints: EndpointHealth[] | undefined): void {
    if (ticket !== this.checks) return;
    this.update({ health: endpoints ? { kind: 'checked', endpoints } : { kind: 'unchecked' } });
  }

  /** A question of a run finished. */
  record(params: RecordNotificationParams): void {
    this.state = afterRecord(this.state, params);
  }

  /** A run started or ended (failed, cancelled, finished). */
  runState(params: RunStateParams): void {
    this.state = afterRunState(this.state, params);
    this.render();
  }

  /** Settings changed (`affects` says which): the one a failed run named may now be fixed. */
  settingsChanged(affects: (setting: string) => boolean): void {
    this.state = afterSettingsChange(this.state, affects);
    this.render();
  }

  /** A run started (`progress` undefined) or reported progress. */
  running(progress: string | undefined): void {
    this.update({ run: { progress } });
  }

  /** The run ended. */
  idle(): void {
    this.update({ run: undefined });
  }

  /** The in-process llama.cpp model: loading (download %) or ready with the engine's memory. */
  localModel({ model, state, percent, rssMb }: LocalModelParams): void {
    this.update(
      state === 'loading'
        ? { loading: { model, percent } }
        : { loading: undefined, health: { kind: 'local', model, rssMb } },
    );
  }

  private update(change: Partial<StatusState>): void {
    this.state = { ...this.state, ...change };
    this.render();
  }

  private render(): void {
    const view = renderStatus(this.state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    // The model names the setting; the scope its fix takes effect in is read here (it needs vscode).
    const open =
      view.command === 'workbench.action.openSettings' && view.arguments
        ? settingCommand(view.arguments[0])
        : undefined;
    this.item.command = open
      ? { title: 'MCPO', ...open }
      : view.arguments
        ? { title: 'MCPO', command: view.command, arguments: view.arguments }
        : view.command;
    this.changed.fire(view);
  }

  dispose(): void {
    this.changed.dispose();
    this.item.dispose();
  }
}
