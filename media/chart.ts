/**
 * The per-task chart across runs: grouped horizontal bars (one group per task, one bar per
 * run) drawn as inline SVG with createElementNS. No library: the CSP allows only our script,
 * and colours come from the theme through the `series-N` classes in panel.css (presentation
 * attributes cannot use `var()` reliably, and inline styles are blocked by the CSP).
 */
import type { ChartData } from './viewModel';
import { formatScore } from './viewModel';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** panel.css defines this many theme colours; more runs reuse them in order. */
export const SERIES_COLOURS = 6;

const WIDTH = 380;
const LABEL_WIDTH = 120;
const VALUE_WIDTH = 16;
const BAR = 9;
const GROUP_GAP = 10;
const AXIS = 22;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  // Task names and run labels are user data: text content only.
  if (text !== undefined) element.textContent = text;
  return element;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function seriesClass(i: number): string {
  return `series-${i % SERIES_COLOURS}`;
}

/** The chart and its legend; an explanatory paragraph when there is nothing to draw. */
export function renderChart(data: ChartData): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  figure.setAttribute('data-testid', 'task-chart');
  if (data.tasks.length === 0 || data.series.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'muted';
    empty.textContent = 'No task scores to chart yet.';
    figure.append(empty);
    return figure;
  }
  const groupHeight = data.series.length * BAR + GROUP_GAP;
  const height = AXIS + data.tasks.length * groupHeight;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const x = (v: number): number => LABEL_WIDTH + (Math.max(0, v) / data.max) * plotWidth;

  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: '100%',
    role: 'img',
    'aria-labelledby': 'task-chart-title',
  });
  root.append(
    svg('title', { id: 'task-chart-title' }, `Per-task scores of ${data.series.length} runs`),
  );

  // Value axis: gridlines at quarters of the axis range.
  for (let i = 0; i <= 4; i++) {
    const v = (data.max * i) / 4;
    root.append(svg('line', { class: 'grid', x1: x(v), x2: x(v), y1: AXIS - 4, y2: height }));
    root.append(
      svg(
        'text',
        { class: 'axis-label', x: x(v), y: AXIS - 8, 'text-anchor': 'middle' },
        v.toFixed(2),
      ),
    );
  }

  data.tasks.forEach((task, t) => {
    const top = AXIS + t * groupHeight;
    const label = svg(
      'text',
      {
        class: 'task-label',
        x: LABEL_WIDTH - 6,
        y: top + (data.series.length * BAR) / 2 + 4,
        'text-anchor': 'end',
      },
      truncate(task, 20),
    );
    label.append(svg('title', {}, task));
    root.append(label);
    data.series.forEach((series, s) => {
      const value = series.values[t];
      const y = top + s * BAR;
      if (value === null) {
        root.append(
          svg('text', { class: 'axis-label', x: LABEL_WIDTH + 2, y: y + BAR - 1 }, 'n/a'),
        );
        return;
      }
      const bar = svg('rect', {
        class: `bar ${seriesClass(s)}`,
        x: LABEL_WIDTH,
        y,
        width: Math.max(1, x(value) - LABEL_WIDTH),
        height: BAR - 1,
      });
      bar.append(svg('title', {}, `${series.label} — ${task}: ${formatScore(value)}`));
      root.append(bar);
    });
  });
  figure.append(root);

  const legend = document.createElement('ul');
  legend.className = 'legend';
  legend.setAttribute('aria-label', 'Runs in the chart');
  data.series.forEach((series, s) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = `swatch ${seriesClass(s)}`;
    swatch.setAttribute('aria-hidden', 'true');
    item.append(swatch, document.createTextNode(series.label));
    legend.append(item);
  });
  figure.append(legend);
  return figure;
}
