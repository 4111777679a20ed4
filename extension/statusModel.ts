/**
 * What the MCPO status item shows, as one state and one rendering of it. Writers (endpoint
 * checks, runs, the local model's notifications) change the state; statusBar.ts is the only
 * place that puts a rendering on the item. Free of `vscode` so the rendering is unit-tested.
 */
import type { EndpointHealth } from '../server/protocol/runs';

export interface StatusState {
  /** The last word on the endpoints: not checked yet, a check's results, or a loaded local model. */
  health:
    | { kind: 'unchecked' }
    | { kind: 'checked'; endpoints: EndpointHealth[] }
    | { kind: 'local'; model: string; rssMb?: number };
  /** The in-process model is loading (download percent when known). */
  loading?: { model: string; percent?: number };
  /** A run is in progress: the engine's own progress message ("3/5", "arm 2/6: +CoT"), once sent. */
  run?: { progress?: string };
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Clicking checks the endpoints, or cancels the run in progress. */
  command: 'mcpo.checkEndpoints' | 'mcpo.cancelRun';
}

export const INITIAL_STATUS: StatusState = { health: { kind: 'unchecked' } };

/** The item for a state: loading beats a run's progress, which beats the endpoints' health. */
export function renderStatus(state: StatusState): StatusView {
  const command = state.run ? 'mcpo.cancelRun' : 'mcpo.checkEndpoints';
  if (state.loading) {
    const { model, percent } = state.loading;
    return {
      text: `$(loading~spin) MCPO: loading ${baseName(model)}${percent !== undefined ? ` ${percent}%` : ''}`,
      tooltip: `Loading the local model ${model}`,
      command,
    };
  }
  if (state.run)
    return {
      text: `$(sync~spin) MCPO ${state.run.progress ?? 'starting…'}`,
      tooltip: 'An MCPO run is in progress (click to cancel)',
      command,
    };
  return { ...renderHealth(state.health), command };
}

function renderHealth(health: StatusState['health']): { text: string; tooltip: string } {
  switch (health.kind) {
    case 'unchecked':
      return {
        text: '$(circle-outline) MCPO',
        tooltip: 'MCPO: endpoints not checked yet (MCPO: Check Endpoints)',
      };
    case 'local':
      return {
        text: `$(chip) MCPO local ${baseName(health.model)}${health.rssMb !== undefined ? ` · ${health.rssMb} MB` : ''}`,
        tooltip: `Local model ${health.model} loaded; the MCPO engine uses ${health.rssMb ?? '?'} MB of memory`,
      };
    case 'checked': {
      if (health.endpoints.length === 0)
        return {
          text: '$(warning) MCPO: no endpoint',
          tooltip: 'No endpoint is configured (MCPO: Configure Endpoints)',
        };
      const ok = health.endpoints.every((e) => e.ok);
      return {
        text: `${ok ? '$(check)' : '$(error)'} MCPO`,
        tooltip: health.endpoints
          .map((e) => `${e.role.toUpperCase()} ${e.model} @ ${e.url}: ${e.message}`)
          .join('\n'),
      };
    }
  }
}

function baseName(model: string): string {
  return model.split(/[\\/]/).pop() ?? model;
}
