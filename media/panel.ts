/**
 * The run report (the editor-area panel's webview app; browser, DOM only; bundled by esbuild as an IIFE).
 *
 * It talks to the extension only through media/protocol.ts messages, keeps its UI state in
 * `vscode.setState` (the view may be destroyed whenever it is hidden, since the extension does
 * not retain its context), and builds every element through dom.ts so model output is always
 * text, never markup.
 */
import { renderTrendChart } from './chart';
import { h, table, textCell, type Attributes, type Child } from './dom';
import type {
  AblationMessage,
  ComparisonMessage,
  ExtensionToPanel,
  PanelRequest,
  PanelState,
  PanelToExtension,
  RunReport,
} from './protocol';
import {
  buildTaskMatrix,
  buildTrendChart,
  cachedText,
  differenceRows,
  formatTruth,
  pairingSummary,
  runNumbers,
  filterChoices,
  filterRecords,
  formatParsed,
  formatSampleValue,
  formatScore,
  isFailure,
  isNotScored,
  isRunning,
  liveProgress,
  progressText,
  type LiveRun,
  pickRun,
  plural,
  runName,
  runRows,
  runsInProgress,
  sanitizeState,
  shortRunLabel,
  shortTrack,
  statusChoices,
  statusText,
  taskRows,
  trackRows,
  upsertRecord,
} from './viewModel';
import type { GetRunResult, RunListItem, RunRecord } from '../server/protocol/runs';
import {
  coverageLine,
  failedCount,
  missingLine,
  missingOf,
  notScoredCount,
  questionCount,
} from '../server/protocol/runLabels';
import { scoringModelFix } from '../server/protocol/scoringModelFix';

interface VsCodeApi {
  postMessage(message: PanelToExtension): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** Rows drawn at once; more on request, so a 10k-question run does not stall the view. */
const ROW_PAGE = 500;

const vscodeApi = acquireVsCodeApi();
let state: PanelState = sanitizeState(vscodeApi.getState());

interface Model {
  runs: RunListItem[] | null;
  reports: RunReport[];
  run: { runDir: string; result: GetRunResult } | null;
  comparison: ComparisonMessage | null;
  ablation: AblationMessage | null;
  progress: Map<string, LiveRun>;
  error: string | null;
  /** Requests sent and not yet answered, for the busy indicator. */
  pending: Set<number>;
  rowLimit: number;
  /** Scroll position to restore once the restored run has been drawn. */
  restoreScroll: number | null;
}

const model: Model = {
  runs: null,
  reports: [],
  run: null,
  comparison: null,
  ablation: null,
  progress: new Map(),
  error: null,
  pending: new Set(),
  rowLimit: ROW_PAGE,
  restoreScroll: state.scrollTop > 0 ? state.scrollTop : null,
};

function el(tag: string, attrs: Attributes = {}, ...children: Child<Node>[]): HTMLElement {
  return h<HTMLElement, Node>(document, tag, attrs, ...children);
}
function cell(text: string, attrs: Attributes = {}): HTMLElement {
  return textCell<HTMLElement, Node>(document, text, false, attrs);
}
/** replaceChildren that skips absent parts and turns strings into Text nodes. */
function fill(parent: HTMLElement, ...children: Child<Node>[]): void {
  parent.replaceChildren();
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(
      typeof child === 'string' || typeof child === 'number'
        ? document.createTextNode(String(child))
        : child,
    );
  }
}
function button(label: string, attrs: Attributes, onClick: () => void): HTMLElement {
  const b = el('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

// messaging ------------------------------------------------------------------------------------

/** A request before its id is assigned (distributes over the union so each member keeps its fields). */
type Unsent<T> = T extends PanelRequest ? Omit<T, 'id'> : never;

let nextId = 1;
function request(message: Unsent<PanelRequest>): number {
  const id = nextId++;
  model.pending.add(id);
  // Adding `id` back restores the member `message` came from; TS cannot see through the Omit.
  vscodeApi.postMessage({ ...message, id } as PanelRequest);
  renderBusy();
  return id;
}

function persist(): void {
  vscodeApi.setState(state);
  vscodeApi.postMessage({ type: 'setState', state });
}

function settle(requestId: number | undefined): void {
  if (requestId !== undefined) model.pending.delete(requestId);
  renderBusy();
}

window.addEventListener('message', (event: MessageEvent<ExtensionToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'runs': {
      settle(message.requestId);
      model.runs = message.runs;
      // A run named by `select` has just ended (finished or cancelled): it is no longer running.
      if (message.select !== undefined) model.progress.delete(message.select);
      if (state.baselineDir !== null && !message.runs.some((r) => r.runDir === state.baselineDir))
        state.baselineDir = null;
      // The baseline may have been chosen elsewhere (a restored panel): the extension's is the one.
      if (message.baselineDir !== state.baselineDir && state.baselineDir === null)
        state.baselineDir = message.baselineDir;
      renderRuns();
      renderLive();
      renderComparison();
      renderChartSection();
      // Re-read the selected run on every listing: a listing follows a refresh or a finished run.
      const runDir = pickRun(message.runs, message.select ?? state.selectedRunDir);
      if (runDir !== null) selectRun(runDir, runDir === state.selectedRunDir);
      else {
        model.run = null;
        renderRun();
      }
      break;
    }
    case 'runReports':
      settle(message.requestId);
      model.reports = message.reports;
      renderChartSection();
      break;
    case 'run': {
      settle(message.requestId);
      // An answer for a run the user has since moved away from.
      if (message.runDir !== state.selectedRunDir) break;
      model.run = { runDir: message.runDir, result: message.result };
      model.error = null;
      renderError();
      renderRun();
      renderQuestions();
      if (model.restoreScroll !== null) {
        const top = model.restoreScroll;
        model.restoreScroll = null;
        requestAnimationFrame(() => document.scrollingElement?.scrollTo({ top }));
      }
      break;
    }
    case 'comparison':
      settle(message.requestId);
      if (
        message.candidateDir !== state.selectedRunDir ||
        message.baselineDir !== state.baselineDir
      )
        break;
      model.comparison = message;
      renderComparison();
      break;
    case 'record': {
      const { runDir, record } = message.params;
      liveProgress(model.progress, message.params);
      renderRuns();
      renderLive();
      if (model.run?.runDir === runDir) {
        model.run.result.records = upsertRecord(model.run.result.records, record);
        renderQuestionTable();
        if (state.selectedIndex === record.index) renderDetail();
      }
      break;
    }
    case 'runState':
      liveProgress(model.progress, message.params);
      renderRuns();
      renderLive();
      if (model.run?.runDir === message.params.runDir) renderRun();
      break;
    case 'ablation':
      model.ablation = message;
      renderAblation();
      break;
    case 'done':
      settle(message.requestId);
      break;
    case 'error':
      settle(message.requestId);
      model.error = message.message;
      renderError();
      break;
    default: {
      const unknown: never = message;
      console.warn('MCPO panel: unknown message', unknown);
    }
  }
});

// actions --------------------------------------------------------------------------------------

function selectRun(runDir: string, keepQuestion: boolean): void {
  if (runDir !== state.selectedRunDir) {
    model.comparison = null;
    model.rowLimit = ROW_PAGE;
  }
  state = {
    ...state,
    selectedRunDir: runDir,
    selectedIndex: keepQuestion ? state.selectedIndex : null,
  };
  // Looking at the baseline run itself keeps it the baseline: the side bar's deltas are from it.
  persist();
  renderRuns();
  renderLive();
  renderComparison();
  renderChartSection();
  request({ type: 'selectRun', runDir });
  // The extension compares against the run it was last asked for, so this follows selectRun.
  if (state.baselineDir !== null && state.baselineDir !== runDir)
    request({ type: 'selectBaseline', runDir: state.baselineDir });
}

function selectBaseline(runDir: string | null): void {
  state = { ...state, baselineDir: runDir };
  model.comparison = null;
  persist();
  renderComparison();
  request({ type: 'selectBaseline', runDir });
}

/**
 * Shows a question's detail and scrolls it into view (it sits under a table that can be 96 rows
 * long). From the keyboard, focus stays on the row, redrawn with the table, so arrowing on works.
 */
function selectQuestion(index: number, fromKeyboard = false): void {
  state = { ...state, selectedIndex: index };
  persist();
  renderQuestionTable();
  renderDetail();
  if (fromKeyboard)
    questionTableBox.querySelector<HTMLElement>(`tr[data-index="${index}"]`)?.focus();
  detailBox.scrollIntoView({ block: 'nearest' });
}

// layout: a fixed skeleton whose sections are redrawn independently -----------------------------

const busy = el('span', { class: 'busy', role: 'status', 'aria-live': 'polite' });
const exportButton = button('Export scores', { 'data-testid': 'export-scores' }, () => {
  if (state.selectedRunDir !== null)
    request({ type: 'exportScores', runDir: state.selectedRunDir });
});
const errorBox = el('div', { class: 'error', role: 'alert' });
/** Runs still going, above everything: the report is where a user looks during a run (C5). */
const liveBox = el('div', { class: 'live', role: 'status', 'data-testid': 'run-in-progress' });
const runsSection = el('section', { 'aria-labelledby': 'runs-heading' });
const runSection = el('section', { 'aria-labelledby': 'run-heading' });
const compareSection = el('section', { 'aria-labelledby': 'compare-heading' });
const chartSection = el('section', { 'aria-labelledby': 'chart-heading' });
const ablationSection = el('section', {
  'aria-labelledby': 'ablation-heading',
  'data-testid': 'ablation',
});
const questionsSection = el('section', { 'aria-labelledby': 'questions-heading' });
const filtersBox = el('div', { class: 'filters' });
const questionTableBox = el('div', { class: 'table-scroll' });
const detailBox = el('div', { 'data-testid': 'question-detail', class: 'detail' });
questionsSection.append(
  el('h2', { id: 'questions-heading' }, 'Questions'),
  filtersBox,
  questionTableBox,
  detailBox,
);

document.body.classList.add('report');
fill(
  document.body,
  el(
    'header',
    { class: 'toolbar' },
    button('Refresh', {}, () => request({ type: 'refresh' })),
    exportButton,
    busy,
  ),
  errorBox,
  liveBox,
  el(
    'div',
    { class: 'report-grid' },
    el('aside', { class: 'report-runs' }, runsSection),
    el(
      'main',
      { class: 'report-main' },
      ablationSection,
      runSection,
      compareSection,
      chartSection,
      questionsSection,
    ),
  ),
);

function renderBusy(): void {
  busy.textContent = model.pending.size > 0 ? 'Loading…' : '';
}

function renderError(): void {
  errorBox.replaceChildren();
  if (model.error === null) return;
  errorBox.append(
    el('span', {}, model.error),
    button('Dismiss', { class: 'secondary' }, () => {
      model.error = null;
      renderError();
    }),
  );
}

function renderLive(): void {
  const live = model.runs === null ? [] : runsInProgress(model.runs, model.progress);
  fill(
    liveBox,
    ...live.map((run) =>
      el(
        'p',
        { 'data-run-dir': run.runDir },
        run.runDir === state.selectedRunDir
          ? // The tables were read when the run was selected; the run's end reads them again.
            `${run.text}. The scores below are from when this page last read the run; they update when it ends.`
          : `${run.text}: ${run.name}. `,
        run.runDir === state.selectedRunDir
          ? null
          : button('Show it', { class: 'secondary' }, () => selectRun(run.runDir, false)),
      ),
    ),
  );
}

function renderRuns(): void {
  const heading = el('h2', { id: 'runs-heading' }, 'Runs');
  if (model.runs === null) {
    runsSection.replaceChildren(heading, el('p', { class: 'muted' }, 'Loading runs…'));
    return;
  }
  if (model.runs.length === 0) {
    runsSection.replaceChildren(
      heading,
      el(
        'p',
        { class: 'muted', 'data-testid': 'runs-list' },
        'No runs yet. Run a dataset to see its scores here.',
      ),
    );
    return;
  }
  const list = el('ul', { class: 'runs', 'data-testid': 'runs-list' });
  for (const row of runRows(model.runs, model.progress)) {
    const progress = progressText(model.progress.get(row.runDir));
    const selected = row.runDir === state.selectedRunDir;
    const item = el(
      'button',
      {
        type: 'button',
        class: selected ? 'run selected' : 'run',
        'aria-pressed': selected ? 'true' : 'false',
        'data-run-dir': row.runDir,
      },
      el(
        'span',
        { class: 'run-label', title: row.label },
        el('span', { class: 'run-number' }, `#${row.number} `),
        row.shortLabel,
      ),
      el('span', { class: 'run-date' }, row.date),
      el('span', { class: 'run-overall', title: 'Overall score' }, row.overall),
      el('span', { class: 'run-failed' }, `${row.questions} · ${row.failed}${row.notScored}`),
      progress ? el('span', { class: 'run-progress' }, progress) : null,
    );
    item.addEventListener('click', () => selectRun(row.runDir, false));
    list.append(el('li', {}, item));
  }
  runsSection.replaceChildren(heading, list);
}

function renderRun(): void {
  exportButton.toggleAttribute('disabled', state.selectedRunDir === null);
  const run = model.run;
  if (run === null) {
    runSection.replaceChildren(
      el('h2', { id: 'run-heading' }, 'Scores'),
      el('p', { class: 'muted' }, 'Select a run.'),
    );
    return;
  }
  const { config, report, records } = run.result;
  const listed = model.runs?.find((r) => r.runDir === run.runDir);
  const live = model.progress.get(run.runDir);
  const counts = {
    questions: records.length,
    expected: listed?.expected,
    failed: records.filter((r) => r.status === 'failed').length,
    selection: config.data.selected !== undefined,
  };
  const tracks = trackRows(report);
  const tasks = taskRows(report);
  const coverage = coverageLine({
    tasks: run.result.runTasks,
    answered: report.tasks.length,
    unscored: report.unscored?.length ?? 0,
  });
  // A run still going is not incomplete, nor are its tasks without answers yet: its count says "so far".
  const running = isRunning(live);
  const incomplete = running ? '' : missingLine(missingOf(counts));
  const notScored = records.filter(isNotScored).length;
  const label = config.label || config.runId;
  fill(
    runSection,
    el('h2', { id: 'run-heading', title: label }, `Scores — ${shortRunLabel(label)}`),
    // The full report names the whole configuration the heading summarises.
    el('p', { class: 'muted run-config', 'data-testid': 'run-config' }, label),
    el(
      'p',
      { class: 'overall' },
      'Overall ',
      el('strong', { 'data-testid': 'overall-score' }, formatScore(report.overall)),
      ` · ${questionCount(counts, running)} · ${failedCount(counts)}`,
      notScoredCount({ notScored }),
      cachedCount(records) > 0 ? ` · ${plural(cachedCount(records), 'answer')} cached` : '',
    ),
    incomplete
      ? el('p', { class: 'coverage', 'data-testid': 'incomplete' }, `Incomplete: ${incomplete}.`)
      : null,
    coverage && !running
      ? el(
          'p',
          { class: 'coverage', 'data-testid': 'coverage' },
          // VS Code's way to a missing scoring model (its setting), once under the coverage line.
          [`${coverage}.`, scoringModelFix(report.unscored, 'vscode')].filter(Boolean).join(' '),
        )
      : null,
    tracks.length > 0
      ? table<HTMLElement, Node>(
          document,
          { class: 'scores' },
          'Per track',
          ['Track', 'Tasks', 'n', 'Score'],
          tracks.map((t) =>
            el(
              'tr',
              {},
              cell(t.track),
              cell(t.tasks, { class: 'num' }),
              cell(t.samples, { class: 'num' }),
              cell(t.score, { class: 'num' }),
            ),
          ),
        )
      : null,
    // The sidebar is narrow: the table scrolls instead of clipping its score column.
    el(
      'div',
      { class: 'table-scroll' },
      table<HTMLElement, Node>(
        document,
        { class: 'scores', 'data-testid': 'task-scores' },
        'Per task',
        ['Task', 'Type', 'Metric', 'Track', 'n', 'Score'],
        tasks
          .flatMap((t) => [
            el(
              'tr',
              { class: t.unscoredReason ? 'unscored' : null },
              cell(t.task),
              cell(t.taskType),
              cell(t.metric),
              cell(t.track),
              cell(t.samples, { class: 'num' }),
              cell(t.unscoredReason ? 'not scored' : t.score, { class: 'num' }),
            ),
            // The reason under its task, as text: it can quote a model or file name.
            t.unscoredReason
              ? el(
                  'tr',
                  { class: 'unscored-reason' },
                  el('td', { colspan: 6 }, `Not scored: ${t.unscoredReason}`),
                )
              : null,
          ])
          .filter((row): row is HTMLElement => row !== null),
      ),
    ),
  );
}

function renderComparison(): void {
  const select = el('select', { id: 'baseline' }) as HTMLSelectElement;
  select.append(new Option('(none)', ''));
  const isBaseline = state.baselineDir !== null && state.baselineDir === state.selectedRunDir;
  for (const run of model.runs ?? []) {
    if (run.runDir === state.selectedRunDir && !isBaseline) continue;
    // Option(text, value) sets text as text; labels are user data. A short label keeps the
    // select as narrow as the panel; the full one is the option's tooltip.
    const option = new Option(runName(run), run.runDir);
    option.title = run.label || run.runId;
    select.append(option);
  }
  select.value = state.baselineDir ?? '';
  select.addEventListener('change', () =>
    selectBaseline(select.value === '' ? null : select.value),
  );

  const parts: Child<Node>[] = [
    el('h2', { id: 'compare-heading' }, 'Compare with a baseline'),
    el('p', {}, el('label', { for: 'baseline' }, 'Baseline '), select),
  ];
  if (isBaseline)
    parts.push(
      el(
        'p',
        { 'data-testid': 'paired-summary' },
        'This run is the baseline: select another run to see its differences from it.',
      ),
    );
  else if (state.baselineDir !== null && model.comparison === null)
    parts.push(el('p', { class: 'muted' }, 'Comparing…'));
  if (model.comparison !== null) {
    const c = model.comparison;
    const rows = differenceRows(c.differences, c.minPaired);
    parts.push(
      el(
        'p',
        { 'data-testid': 'paired-summary' },
        pairingSummary(c.paired, c.mismatched, c.minPaired, c.notScored, c.datasetsDiffer),
      ),
    );
    if (rows.length > 0)
      parts.push(
        el(
          'div',
          { class: 'table-scroll' },
          table<HTMLElement, Node>(
            document,
            { class: 'scores differences', 'data-testid': 'differences' },
            `Differences from the baseline (95% paired bootstrap interval; none below n = ${c.minPaired})`,
            ['Scope', 'n', 'Baseline', 'This run', 'Δ', '95% CI', 'Verdict'],
            rows.map((r) =>
              el(
                'tr',
                { class: `sig-${r.significance}` },
                cell(r.scope),
                cell(r.n, { class: 'num' }),
                cell(r.baseline, { class: 'num' }),
                cell(r.candidate, { class: 'num' }),
                cell(r.delta, { class: 'num delta' }),
                cell(r.interval, { class: 'num ci' }),
                cell(r.verdict, { class: 'verdict' }),
              ),
            ),
          ),
        ),
      );
  }
  fill(compareSection, ...parts);
}

function renderChartSection(): void {
  const numbers = runNumbers(model.runs ?? []);
  const matrix = buildTaskMatrix(model.reports, numbers, state.selectedRunDir);
  fill(
    chartSection,
    el('h2', { id: 'chart-heading' }, `Scores across runs (${model.reports.length})`),
    renderTrendChart(buildTrendChart(model.reports, numbers, state.selectedRunDir)),
    matrix.rows.length > 0
      ? el(
          'div',
          { class: 'table-scroll' },
          table<HTMLElement, Node>(
            document,
            { class: 'scores matrix', 'data-testid': 'task-matrix' },
            'Per-task scores by run number (oldest first)',
            ['Task', ...matrix.runs.map((r) => `#${r.number}`)],
            matrix.rows.map((row) =>
              el(
                'tr',
                {},
                cell(row.task, { title: row.metric }),
                ...row.cells.map((v, i) =>
                  cell(v, {
                    class: matrix.runs[i].selected ? 'num selected-run' : 'num',
                    title: `#${matrix.runs[i].number} ${matrix.runs[i].label}`,
                  }),
                ),
              ),
            ),
          ),
        )
      : null,
  );
}

function renderAblation(): void {
  const a = model.ablation;
  if (a === null) {
    ablationSection.replaceChildren();
    return;
  }
  ablationSection.replaceChildren(
    el('h2', { id: 'ablation-heading' }, a.title ?? `Ablation (${a.runDirs.length} arms)`),
    // The paper's tables are laid out in monospace text; shown as text, never markup.
    el('pre', { class: 'ablation-tables' }, a.tables),
    button('Dismiss', { class: 'secondary' }, () => {
      model.ablation = null;
      renderAblation();
    }),
  );
}

function cachedCount(records: readonly RunRecord[]): number {
  return records.filter((r) => r.answer?.cached === true).length;
}

function renderQuestions(): void {
  renderFilters();
  renderQuestionTable();
  renderDetail();
}

function renderFilters(): void {
  const records = model.run?.result.records ?? [];
  const choices = filterChoices(records);
  // A filter kept from another run that this run cannot match would silently empty the table.
  if (
    (state.filters.track !== null && !choices.tracks.includes(state.filters.track)) ||
    (state.filters.taskType !== null && !choices.taskTypes.includes(state.filters.taskType))
  ) {
    state.filters = {
      ...state.filters,
      track: choices.tracks.includes(state.filters.track ?? '') ? state.filters.track : null,
      taskType: choices.taskTypes.find((t) => t === state.filters.taskType) ?? null,
    };
    persist();
  }
  const track = el('select', { id: 'filter-track' }) as HTMLSelectElement;
  // The short name, as the tables show it; the value stays the official name the records carry.
  track.append(
    new Option('All tracks', ''),
    ...choices.tracks.map((t) => new Option(shortTrack(t), t)),
  );
  track.value = state.filters.track ?? '';
  track.addEventListener('change', () =>
    setFilters({ track: track.value === '' ? null : track.value }),
  );

  const type = el('select', { id: 'filter-type' }) as HTMLSelectElement;
  type.append(new Option('All task types', ''), ...choices.taskTypes.map((t) => new Option(t, t)));
  type.value = state.filters.taskType ?? '';
  type.addEventListener('change', () =>
    setFilters({ taskType: choices.taskTypes.find((t) => t === type.value) ?? null }),
  );

  const status = el('select', {
    id: 'filter-status',
    'data-testid': 'filter-status',
  }) as HTMLSelectElement;
  const statuses = statusChoices(records);
  status.append(...statuses.map((s) => new Option(s.text, s.value)));
  status.value = state.filters.status;
  status.addEventListener('change', () =>
    setFilters({ status: statuses.find((s) => s.value === status.value)?.value ?? 'all' }),
  );

  fill(
    filtersBox,
    el('label', { for: 'filter-track' }, 'Track '),
    track,
    el('label', { for: 'filter-type' }, 'Task type '),
    type,
    el('label', { for: 'filter-status' }, 'Questions '),
    status,
  );
}

function setFilters(change: Partial<PanelState['filters']>): void {
  state = { ...state, filters: { ...state.filters, ...change } };
  model.rowLimit = ROW_PAGE;
  persist();
  renderQuestionTable();
}

function renderQuestionTable(): void {
  const records = model.run?.result.records ?? [];
  const shown = filterRecords(records, state.filters);
  const page = shown.slice(0, model.rowLimit);
  // One tab stop for the whole table (the selected row, else the first); arrows move between rows.
  const stop = page.some((r) => r.index === state.selectedIndex)
    ? state.selectedIndex
    : page[0]?.index;
  const rows = page.map((r, i) => {
    const selected = r.index === state.selectedIndex;
    const row = el(
      'tr',
      {
        class: [selected ? 'selected' : '', isFailure(r) ? 'failure' : ''].join(' ').trim() || null,
        'aria-selected': selected ? 'true' : 'false',
        'data-index': r.index,
        // The whole row opens the detail: Enter or Space on it, as a click anywhere on it.
        tabindex: r.index === stop ? 0 : -1,
      },
      // Questions are numbered from 1 everywhere a person reads them (editor lines, diff titles).
      el(
        'td',
        { class: 'num' },
        button(
          String(r.index + 1),
          // Not a tab stop of its own: the row is (96 rows would otherwise be 192 stops).
          { class: 'link', 'aria-label': `Show question ${r.index + 1}`, tabindex: -1 },
          () => selectQuestion(r.index),
        ),
      ),
      cell(r.task_name),
      cell(formatParsed(r.parsed), { class: 'parsed' }),
      cell(formatSampleValue(r.score), { class: 'num' }),
      cell(statusText(r)),
      cell(r.answer?.cached ? 'cached' : '', { class: 'cached-mark' }),
    );
    // The number's button handles its own click; anywhere else on the row does the same.
    row.addEventListener('click', (event) => {
      if (!(event.target instanceof Element && event.target.closest('button')))
        selectQuestion(r.index);
    });
    row.addEventListener('keydown', (event) => {
      if (event.target !== row) return;
      if (event.key === 'Enter' || event.key === ' ') selectQuestion(r.index, true);
      else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        const next = page[i + (event.key === 'ArrowDown' ? 1 : -1)];
        if (next === undefined) return;
        const target = questionTableBox.querySelector<HTMLElement>(
          `tr[data-index="${next.index}"]`,
        );
        row.tabIndex = -1;
        if (target) target.tabIndex = 0;
        target?.focus();
      } else return;
      event.preventDefault();
    });
    return row;
  });
  fill(
    questionTableBox,
    el('p', { class: 'muted' }, `${shown.length} of ${records.length} questions`),
    table<HTMLElement, Node>(
      document,
      { class: 'questions', 'data-testid': 'questions' },
      'Questions of the selected run',
      ['#', 'Task', 'Parsed answer', 'Score', 'Status', 'Cache'],
      rows,
    ),
    shown.length > model.rowLimit
      ? button(
          `Show ${Math.min(ROW_PAGE, shown.length - model.rowLimit)} more`,
          { class: 'secondary' },
          () => {
            model.rowLimit += ROW_PAGE;
            renderQuestionTable();
          },
        )
      : null,
  );
}

function renderDetail(): void {
  const run = model.run;
  const record: RunRecord | undefined = run?.result.records.find(
    (r) => r.index === state.selectedIndex,
  );
  if (run === null || record === undefined) {
    detailBox.replaceChildren(
      el('p', { class: 'muted' }, 'Select a question to see its response.'),
    );
    return;
  }
  const field = (name: string, value: Child<Node>): Child<Node>[] => [
    el('dt', {}, name),
    el('dd', {}, value),
  ];
  fill(
    detailBox,
    el('h3', {}, `Question ${record.index + 1} — ${record.task_name}`),
    el(
      'dl',
      {},
      ...field('Status', statusText(record)),
      ...field('Task type', record.task_type),
      ...field('Metric', record.metric),
      ...field('Track', record.track === undefined ? '—' : shortTrack(record.track)),
      ...field('Truth', el('span', { 'data-testid': 'truth' }, formatTruth(record.truth))),
      ...field('Parsed answer', formatParsed(record.parsed)),
      ...field('Score', formatSampleValue(record.score)),
      ...field(
        'Answer',
        cachedText(record)
          ? el('span', { class: 'cached-badge', 'data-testid': 'cached' }, cachedText(record))
          : `asked ${record.answer?.model ?? 'the model'}`,
      ),
    ),
    el('h4', {}, 'Raw response'),
    el(
      'pre',
      { class: 'response', 'data-testid': 'raw-response' },
      record.response ?? record.answer?.text ?? '(no response)',
    ),
    record.warnings.length > 0 ? el('h4', {}, 'Warnings') : null,
    record.warnings.length > 0
      ? el('ul', { class: 'warnings' }, ...record.warnings.map((w) => el('li', {}, w)))
      : null,
    record.error ? el('h4', {}, 'Error') : null,
    record.error
      ? el(
          'p',
          { class: 'error-text' },
          `${record.error.stage}: ${record.error.message}${record.error.attempts ? ` (after ${record.error.attempts} attempts)` : ''}`,
        )
      : null,
    el(
      'p',
      { class: 'actions' },
      button(
        'Open row in dataset',
        {
          class: 'secondary',
          'data-testid': 'open-row',
          disabled: run.result.rowLines?.[record.index] === undefined,
          title:
            run.result.rowLines?.[record.index] === undefined
              ? `${run.result.config.data.file} cannot be read`
              : `${run.result.config.data.file}:${run.result.rowLines[record.index]}${run.result.config.data.unsaved ? ' (the run read unsaved editor contents)' : ''}`,
        },
        () => request({ type: 'openRow', runDir: run.runDir, index: record.index }),
      ),
      button(
        'Show prompt diff',
        {
          disabled: record.prompt === undefined,
          title: record.prompt === undefined ? 'This question has no assembled prompt' : null,
        },
        () => request({ type: 'openPromptDiff', runDir: run.runDir, index: record.index }),
      ),
    ),
  );
}

// scroll position survives the view being hidden: saved as the user scrolls, restored after the run draws
let scrollTimer: number | undefined;
window.addEventListener(
  'scroll',
  () => {
    window.clearTimeout(scrollTimer);
    scrollTimer = window.setTimeout(() => {
      state = { ...state, scrollTop: Math.round(document.scrollingElement?.scrollTop ?? 0) };
      // Only the webview's own state: the extension does not need every scroll.
      vscodeApi.setState(state);
    }, 200);
  },
  { passive: true },
);

renderRuns();
renderLive();
renderRun();
renderComparison();
renderChartSection();
renderAblation();
renderQuestions();
request({ type: 'ready' });
