/**
 * The sidebar's compact run list (browser, DOM only; bundled by esbuild as an IIFE). Readable
 * at a side bar's width: each run is one card with its overall score, its tracks, its tasks and
 * its difference from the baseline chosen in the report; a click opens the full report in the
 * editor area. Everything is built through dom.ts, so labels are always text.
 */
import { h, type Attributes, type Child } from './dom';
import type { ExtensionToPanel, PanelRequest, PanelToExtension } from './protocol';
import { MIN_PAIRED, type RunListItem } from '../server/protocol/runs';
import {
  liveProgress,
  plural,
  progressText,
  runName,
  sidebarRows,
  type LiveRun,
  type SidebarRow,
} from './viewModel';

interface VsCodeApi {
  postMessage(message: PanelToExtension): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscodeApi = acquireVsCodeApi();
let nextId = 1;
type Unsent<T> = T extends PanelRequest ? Omit<T, 'id'> : never;
function request(message: Unsent<PanelRequest>): void {
  vscodeApi.postMessage({ ...message, id: nextId++ } as PanelRequest);
}

function el(tag: string, attrs: Attributes = {}, ...children: Child<Node>[]): HTMLElement {
  return h<HTMLElement, Node>(document, tag, attrs, ...children);
}

const progress = new Map<string, LiveRun>();
let runs: RunListItem[] | null = null;
let baselineDir: string | null = null;
let error: string | null = null;

const list = el('div', { class: 'sidebar-runs', 'data-testid': 'sidebar-runs' });
const errorBox = el('div', { class: 'error', role: 'alert' });
const openButton = el('button', { type: 'button', 'data-testid': 'open-report' }, 'Open report');
openButton.addEventListener('click', () => {
  const newest = runs?.[0];
  request({ type: 'openReport', runDir: newest?.runDir ?? '' });
});
const refreshButton = el('button', { type: 'button', class: 'secondary' }, 'Refresh');
refreshButton.addEventListener('click', () => request({ type: 'refresh' }));
document.body.classList.add('sidebar');
document.body.replaceChildren(
  el('header', { class: 'toolbar' }, openButton, refreshButton),
  errorBox,
  list,
);

function render(): void {
  errorBox.replaceChildren(...(error === null ? [] : [el('span', {}, error)]));
  if (runs === null) {
    list.replaceChildren(el('p', { class: 'muted' }, 'Loading runs…'));
    return;
  }
  if (runs.length === 0) {
    list.replaceChildren(
      el('p', { class: 'muted' }, 'No runs yet. Run MCPO on a dataset to see its scores here.'),
    );
    return;
  }
  const baseline = runs.find((r) => r.runDir === baselineDir);
  const cards = sidebarRows(runs, baselineDir, MIN_PAIRED, progress).map((row) => {
    const running = progressText(progress.get(row.runDir));
    const card = el(
      'button',
      {
        type: 'button',
        class: 'run-card',
        'data-run-dir': row.runDir,
        title: `Open the report of ${row.label}`,
      },
      el(
        'span',
        { class: 'card-head' },
        el('span', { class: 'run-number' }, `#${row.number}`),
        // The full label can be 100+ characters: the header is its summary, the full one on hover.
        el('span', { class: 'run-label', title: row.label }, row.shortLabel),
        el('span', { class: 'run-overall', title: 'Overall score' }, row.overall),
      ),
      el('span', { class: 'card-meta' }, `${row.date} · ${row.meta}`),
      row.tracks.length > 0
        ? el(
            'span',
            { class: 'card-tracks' },
            ...row.tracks.map((t) =>
              el('span', { class: 'track-chip' }, `${t.track} `, el('b', {}, t.score)),
            ),
          )
        : null,
      row.incomplete
        ? el('span', { class: 'card-coverage', 'data-testid': 'card-incomplete' }, row.incomplete)
        : null,
      row.coverage
        ? el(
            'span',
            { class: 'card-coverage', title: row.coverageTitle, 'data-testid': 'card-coverage' },
            row.coverage,
          )
        : null,
      row.isBaseline
        ? el('span', { class: 'card-delta baseline' }, 'baseline')
        : row.delta
          ? el(
              'span',
              { class: `card-delta delta-${row.significance}`, title: row.deltaTitle },
              row.delta,
            )
          : null,
      running ? el('span', { class: 'run-progress' }, running) : null,
    );
    card.addEventListener('click', () => request({ type: 'openReport', runDir: row.runDir }));
    // Beside the card, not in it: a disclosure inside a button would open the report instead.
    return el('li', {}, card, row.tasks.length > 0 ? taskList(row.tasks) : null);
  });
  list.replaceChildren(
    el(
      'p',
      { class: 'muted baseline-note' },
      baseline
        ? `Δ from baseline “${runName(baseline)}” over paired questions`
        : 'Choose a baseline in the report to see each run’s Δ here.',
    ),
    el('ul', { class: 'cards' }, ...cards),
  );
}

/** The run's per-task scores, collapsed under the card: two narrow columns fit a side bar. */
function taskList(tasks: SidebarRow['tasks']): HTMLElement {
  return el(
    'details',
    { class: 'card-tasks', 'data-testid': 'card-tasks' },
    el('summary', {}, `Scores of ${plural(tasks.length, 'task')}`),
    el(
      'dl',
      {},
      // A div per pair (valid in a dl) keeps a task and its score in one grid cell.
      ...tasks.map((t) =>
        el(
          'div',
          { title: t.title },
          el('dt', {}, t.task),
          el('dd', { class: t.score === 'not scored' ? 'unscored' : null }, t.score),
        ),
      ),
    ),
  );
}

window.addEventListener('message', (event: MessageEvent<ExtensionToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'runs':
      runs = message.runs;
      baselineDir = message.baselineDir;
      error = null;
      if (message.select !== undefined) progress.delete(message.select);
      render();
      break;
    case 'record':
    case 'runState':
      liveProgress(progress, message.params);
      render();
      break;
    case 'error':
      error = message.message;
      render();
      break;
    default:
      // The sidebar lists runs only; the report panel handles everything else.
      break;
  }
});

render();
request({ type: 'ready' });
