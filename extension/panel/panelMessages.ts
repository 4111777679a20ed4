/**
 * Checks messages from the webview before the provider acts on them. The webview is our code,
 * but what arrives through postMessage is untyped at runtime, and a malformed message must be
 * reported rather than passed to the engine as a bad path.
 */
import { STATUS_FILTERS, type PanelState, type PanelToExtension } from '../../media/protocol';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isState(value: unknown): value is PanelState {
  if (!isRecord(value) || !isRecord(value.filters)) return false;
  const f = value.filters;
  return (
    (value.selectedRunDir === null || typeof value.selectedRunDir === 'string') &&
    (value.baselineDir === null || typeof value.baselineDir === 'string') &&
    (value.selectedIndex === null || isId(value.selectedIndex)) &&
    typeof value.scrollTop === 'number' &&
    (f.track === null || typeof f.track === 'string') &&
    (f.taskType === null || typeof f.taskType === 'string') &&
    STATUS_FILTERS.some((s) => s === f.status)
  );
}

/** The message if it is one of the union's members with the right fields, else undefined. */
export function parsePanelMessage(value: unknown): PanelToExtension | undefined {
  if (!isRecord(value) || typeof value.type !== 'string') return undefined;
  const { id } = value;
  switch (value.type) {
    case 'ready':
    case 'refresh':
      return isId(id) ? { type: value.type, id } : undefined;
    case 'selectRun':
    case 'exportScores':
    case 'openReport':
      return isId(id) && typeof value.runDir === 'string'
        ? { type: value.type, id, runDir: value.runDir }
        : undefined;
    case 'selectBaseline':
      return isId(id) && (value.runDir === null || typeof value.runDir === 'string')
        ? { type: 'selectBaseline', id, runDir: value.runDir }
        : undefined;
    case 'openPromptDiff':
    case 'openRow':
      return isId(id) && typeof value.runDir === 'string' && isId(value.index)
        ? { type: value.type, id, runDir: value.runDir, index: value.index }
        : undefined;
    case 'setState':
      return isState(value.state) ? { type: 'setState', state: value.state } : undefined;
    default:
      return undefined;
  }
}
