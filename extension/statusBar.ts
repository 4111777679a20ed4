/** The one status item: it renders the status model (statusModel.ts) and nothing else writes it. */
import * as vscode from 'vscode';
import type { EndpointHealth, LocalModelParams } from '../server/protocol/runs';
import { INITIAL_STATUS, renderStatus, type StatusState } from './statusModel';

export class McpoStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'mcpo.status',
    vscode.StatusBarAlignment.Left,
    10,
  );
  private state: StatusState = INITIAL_STATUS;

  constructor() {
    this.item.name = 'MCPO';
    this.render();
    this.item.show();
  }

  /** The results of an endpoint check. */
  setHealth(endpoints: EndpointHealth[]): void {
    this.update({ health: { kind: 'checked', endpoints } });
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
    this.item.command = view.command;
  }

  dispose(): void {
    this.item.dispose();
  }
}
