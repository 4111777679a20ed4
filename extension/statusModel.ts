/**
 * What the MCPO status item shows, as one state, the events that change it, and one rendering of
 * it. Writers (endpoint checks, a settings change, runs and their questions, the local model's
 * notifications) report events; statusBar.ts is the only place that puts a rendering on the item.
 * Free of `vscode` so the transitions and the rendering are unit-tested.
 *
 * The item shows the newest word on the endpoints: a check's results, or the end of a run that
 * used them. Older words go stale the moment the endpoints change or a run says otherwise. A run
 * that failed for a reason a setting fixes (M_V would not load) is no word on the endpoints: it
 * shows until that setting changes or a run gets through, whatever an endpoint check says.
 */
import { fixSettings, vscodeMessage } from './errorActions';
import type {
  EndpointHealth,
  RecordNotificationParams,
  RunStateParams,
} from '../server/protocol/runs';
import { plural } from '../server/protocol/runLabels';

export type Health =
  | { kind: 'unchecked' }
  /** The endpoints changed (or a check was asked for): their check is under way. */
  | { kind: 'checking' }
  | { kind: 'checked'; endpoints: EndpointHealth[] }
  | { kind: 'local'; model: string; rssMb?: number }
  /** The last run failed (the request failed, or some of its questions did). */
  | { kind: 'runFailed'; message: string; failed?: number; total?: number }
  /** The last run answered every question, after a word that said the endpoints were failing. */
  | { kind: 'runOk'; done: number };

/** What the questions of a run under way have said so far (its end decides what is shown). */
export interface RunTally {
  done: number;
  total: number;
  failed: number;
  /** The lowest-numbered failure, "Q3 failed at answer: HTTP 500" (the failure toast names it too). */
  firstFailure?: string;
  firstFailureIndex?: number;
}

export interface StatusState {
  health: Health;
  /** The in-process model is loading (download percent when known). */
  loading?: { model: string; percent?: number };
  /** A run is in progress: the engine's own progress message ("3/5", "arm 2/6: +CoT"), once sent. */
  run?: { progress?: string };
  /** Per run folder, the runs the engine has under way. */
  tallies?: Readonly<Record<string, RunTally>>;
  /** The last run failed for a reason these `mcpo.*` settings fix (the engine's fixes name them). */
  settingProblem?: { message: string; settings: string[] };
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Clicking checks the endpoints, cancels the run in progress, or opens the setting that fixes the last run. */
  command: 'mcpo.checkEndpoints' | 'mcpo.cancelRun' | 'workbench.action.openSettings';
  /** The command's arguments (the setting to open). */
  arguments?: string[];
}

export const INITIAL_STATUS: StatusState = { health: { kind: 'unchecked' } };

/** A question finished: its run's tally counts it (and keeps the first failure's reason). */
export function afterRecord(state: StatusState, params: RecordNotificationParams): StatusState {
  const { runDir, record, done, total } = params;
  const tally = state.tallies?.[runDir] ?? { done: 0, total, failed: 0 };
  const failed = record.status === 'failed';
  // Questions finish out of order: keep the lowest-numbered failure, not the first to arrive.
  const lower =
    failed && (tally.firstFailureIndex === undefined || record.index < tally.firstFailureIndex);
  const next: RunTally = {
    done,
    total,
    failed: tally.failed + (failed ? 1 : 0),
    firstFailure: lower
      ? `Q${record.index + 1} failed at ${record.error?.stage ?? '?'}: ${record.error?.message ?? ''}`
      : tally.firstFailure,
    firstFailureIndex: lower ? record.index : tally.firstFailureIndex,
  };
  return { ...state, tallies: { ...state.tallies, [runDir]: next } };
}

/**
 * A run started or ended. Its end is news about the endpoints: a failure (of the run, or of some
 * of its questions) replaces whatever was shown; a clean run replaces only a word of failure (a
 * check's details and a loaded local model's memory stay). Any end stops a local model's
 * "loading" (a model that failed to load must not spin forever).
 */
export function afterRunState(state: StatusState, params: RunStateParams): StatusState {
  const { runDir, state: runState } = params;
  const message =
    params.message === undefined ? undefined : vscodeMessage(params.message, params.fixes);
  const tally = state.tallies?.[runDir];
  const tallies = { ...state.tallies };
  delete tallies[runDir];
  if (runState === 'started')
    return { ...state, tallies: { ...state.tallies, [runDir]: { done: 0, total: 0, failed: 0 } } };
  const ended: StatusState = { ...state, loading: undefined, tallies };
  if (runState === 'failed') {
    const settings = fixSettings(params.fixes);
    if (settings.length > 0)
      return { ...ended, settingProblem: { message: message ?? '', settings } };
    return { ...ended, health: { kind: 'runFailed', message: message ?? 'the run failed' } };
  }
  if (runState === 'cancelled' || !tally) return ended;
  // A run that finished got past whatever a setting had to fix.
  delete ended.settingProblem;
  if (tally.failed > 0)
    return {
      ...ended,
      health: {
        kind: 'runFailed',
        message: tally.firstFailure ?? 'questions failed',
        failed: tally.failed,
        total: tally.total,
      },
    };
  return isFailing(state.health)
    ? { ...ended, health: { kind: 'runOk', done: tally.done } }
    : ended;
}

/** Settings changed (`affects` says which): a problem that one of them fixes may be fixed. */
export function afterSettingsChange(
  state: StatusState,
  affects: (setting: string) => boolean,
): StatusState {
  const problem = state.settingProblem;
  // The preset decides the settings the user has not set: changing it may fix the problem too.
  if (!problem || ![...problem.settings, 'mcpo.preset'].some(affects)) return state;
  return { ...state, settingProblem: undefined };
}

function isFailing(health: Health): boolean {
  return (
    health.kind === 'runFailed' ||
    (health.kind === 'checked' && health.endpoints.some((e) => !e.ok))
  );
}

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
  if (state.settingProblem) {
    const setting = state.settingProblem.settings[0];
    return {
      text: '$(error) MCPO: run failed',
      tooltip: `MCPO: the last run failed: ${state.settingProblem.message} (click to open the setting ${setting})`,
      command: 'workbench.action.openSettings',
      arguments: [setting],
    };
  }
  return { ...renderHealth(state.health), command };
}

function renderHealth(health: Health): { text: string; tooltip: string } {
  switch (health.kind) {
    case 'unchecked':
      return {
        text: '$(circle-outline) MCPO',
        tooltip: 'MCPO: endpoints not checked yet (MCPO: Check Endpoints)',
      };
    case 'checking':
      return {
        text: '$(loading~spin) MCPO: checking',
        tooltip: 'MCPO: checking the endpoints',
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
    case 'runFailed':
      return health.failed !== undefined
        ? {
            text: `$(error) MCPO: ${health.failed}/${health.total ?? '?'} failed`,
            tooltip: `MCPO: ${health.failed} of ${health.total === undefined ? '?' : plural(health.total, 'question')} of the last run failed; ${health.message} (click to check the endpoints)`,
          }
        : {
            text: '$(error) MCPO: run failed',
            tooltip: `MCPO: the last run failed: ${health.message} (click to check the endpoints)`,
          };
    case 'runOk':
      return {
        text: '$(check) MCPO',
        tooltip: `MCPO: the last run answered ${health.done === 1 ? 'its 1 question' : `all ${health.done} questions`}`,
      };
  }
}

function baseName(model: string): string {
  return model.split(/[\\/]/).pop() ?? model;
}
