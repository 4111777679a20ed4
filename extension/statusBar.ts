/** One status item: endpoint health between runs, a running run's progress during one. */
import * as vscode from 'vscode';
import type { EndpointHealth } from '../server/protocol/runs';

export class McpoStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'mcpo.status',
    vscode.StatusBarAlignment.Left,
    10,
  );
  private health = '$(circle-outline) MCPO';
  private healthTooltip = 'MCPO: endpoints not checked yet (MCPO: Check Endpoints)';

  constructor() {
    this.item.name = 'MCPO';
    this.item.command = 'mcpo.checkEndpoints';
    this.idle();
    this.item.show();
  }

  setHealth(endpoints: EndpointHealth[]): void {
    if (endpoints.length === 0) {
      this.health = '$(warning) MCPO: no endpoint';
      this.healthTooltip = 'No endpoint is configured (MCPO: Configure Endpoints)';
    } else {
      const ok = endpoints.every((e) => e.ok);
      this.health = `${ok ? '$(check)' : '$(error)'} MCPO`;
      this.healthTooltip = endpoints
        .map((e) => `${e.role.toUpperCase()} ${e.model} @ ${e.url}: ${e.message}`)
        .join('\n');
    }
    this.idle();
  }

  /** `count` is the engine's own progress message ("3/5", "arm 2/6: +CoT"), as the toast shows it. */
  running(count: string | undefined): void {
    this.item.text = `$(sync~spin) MCPO ${count ?? 'starting…'}`;
    this.item.tooltip = 'An MCPO run is in progress (click to cancel)';
    this.item.command = 'mcpo.cancelRun';
  }

  /** The in-process llama.cpp model: loading (download %) or ready with the engine's memory. */
  localModel(model: string, state: 'loading' | 'ready', percent?: number, rssMb?: number): void {
    const name = model.split(/[\\/]/).pop() ?? model;
    if (state === 'loading') {
      this.item.text = `$(loading~spin) MCPO: loading ${name}${percent !== undefined ? ` ${percent}%` : ''}`;
      this.item.tooltip = `Loading the local model ${model}`;
    } else {
      this.health = `$(chip) MCPO local ${name}${rssMb !== undefined ? ` · ${rssMb} MB` : ''}`;
      this.healthTooltip = `Local model ${model} loaded; the MCPO engine uses ${rssMb ?? '?'} MB of memory`;
      this.item.text = this.health;
      this.item.tooltip = this.healthTooltip;
    }
  }

  idle(): void {
    this.item.text = this.health;
    this.item.tooltip = this.healthTooltip;
    this.item.command = 'mcpo.checkEndpoints';
  }

  dispose(): void {
    this.item.dispose();
  }
}
