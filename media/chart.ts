/**
 * Scores across runs, drawn as inline SVG with createElementNS: one line for the overall score
 * and one per track, runs on the x axis in the order they were made (numbered like the run
 * table, so 20 runs still read). A run without a score for a series leaves a gap, never a label.
 * Colours come from the theme through `series-N` classes in panel.css (the CSP blocks inline
 * styles); beyond the palette, series also differ by dash pattern, so no two series look alike.
 *
 * Why not a charting library: Chart.js (the one that runs under a strict CSP: canvas, no injected
 * styles) draws text into a canvas that screen readers and the theme cannot reach, needs colours
 * re-read and the chart redrawn on every theme change, and adds ~70 kB minified for two lines and
 * a few dots; Plot and Vega inject <style> elements the CSP refuses. This file is ~4 kB.
 */
import type { TrendChart } from './viewModel';
import { formatScore } from './viewModel';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Theme colours in panel.css (series-0 … series-6); dash patterns multiply them. */
export const SERIES_COLOURS = 7;
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

const HEIGHT = 220;
const LEFT = 40;
const RIGHT = 12;
const TOP = 10;
const BOTTOM = 26;
/** Horizontal room per run; the chart grows with the runs and the figure scrolls if needed. */
const STEP = 36;
const MIN_WIDTH = 320;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  // Run labels and track names are user data: text content only.
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Colour class and dash pattern of series `i`: unique for 7 × 4 = 28 series. */
export function seriesStyle(i: number): { className: string; dash: string } {
  return {
    className: `series-${i % SERIES_COLOURS}`,
    dash: DASHES[Math.floor(i / SERIES_COLOURS) % DASHES.length],
  };
}

export function renderTrendChart(chart: TrendChart): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  figure.setAttribute('data-testid', 'trend-chart');
  if (chart.runs.length === 0 || chart.series.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'muted';
    empty.textContent = 'No scores to chart yet.';
    figure.append(empty);
    return figure;
  }
  const width = Math.max(MIN_WIDTH, LEFT + RIGHT + chart.runs.length * STEP);
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (i: number): number => LEFT + STEP / 2 + i * STEP;
  const y = (v: number): number => TOP + plotHeight - (Math.max(0, v) / chart.max) * plotHeight;
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    width,
    height: HEIGHT,
    role: 'img',
    'aria-labelledby': 'trend-chart-title',
  });
  root.append(
    svg(
      'title',
      { id: 'trend-chart-title' },
      `Overall and per-track scores of ${chart.runs.length} runs, oldest first`,
    ),
  );
  for (let i = 0; i <= 4; i++) {
    const v = (chart.max * i) / 4;
    root.append(svg('line', { class: 'grid', x1: LEFT, x2: width - RIGHT, y1: y(v), y2: y(v) }));
    root.append(
      svg(
        'text',
        { class: 'axis-label', x: LEFT - 4, y: y(v) + 3, 'text-anchor': 'end' },
        v.toFixed(2),
      ),
    );
  }
  chart.runs.forEach((run, i) => {
    const tick = svg(
      'text',
      {
        class: run.selected ? 'axis-label run-tick selected' : 'axis-label run-tick',
        x: x(i),
        y: HEIGHT - 8,
        'text-anchor': 'middle',
      },
      String(run.number),
    );
    tick.append(svg('title', {}, `#${run.number} ${run.label}`));
    root.append(tick);
  });
  chart.series.forEach((series, s) => {
    const style = seriesStyle(s);
    // Consecutive runs with a value are joined; a missing value breaks the line.
    let path = '';
    let open = false;
    series.values.forEach((v, i) => {
      if (v === null) {
        open = false;
        return;
      }
      path += `${open ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
      open = true;
    });
    const line = svg('path', {
      class: `line ${style.className}${series.emphasis ? ' emphasis' : ''}`,
      d: path.trim(),
      fill: 'none',
    });
    if (style.dash) line.setAttribute('stroke-dasharray', style.dash);
    root.append(line);
    series.values.forEach((v, i) => {
      if (v === null) return;
      const dot = svg('circle', {
        class: `dot ${style.className}`,
        cx: x(i),
        cy: y(v),
        r: series.emphasis ? 3.5 : 2.5,
      });
      dot.append(
        svg(
          'title',
          {},
          `#${chart.runs[i].number} ${chart.runs[i].label} — ${series.label}: ${formatScore(v)}`,
        ),
      );
      root.append(dot);
    });
  });
  const scroll = document.createElement('div');
  scroll.className = 'chart-scroll';
  scroll.append(root);
  figure.append(scroll);

  const legend = document.createElement('ul');
  legend.className = 'legend';
  legend.setAttribute('aria-label', 'Series');
  chart.series.forEach((series, s) => {
    const style = seriesStyle(s);
    const item = document.createElement('li');
    const key = svg('svg', { width: 22, height: 10, 'aria-hidden': 'true' });
    const sample = svg('line', {
      class: `line ${style.className}${series.emphasis ? ' emphasis' : ''}`,
      x1: 1,
      x2: 21,
      y1: 5,
      y2: 5,
    });
    if (style.dash) sample.setAttribute('stroke-dasharray', style.dash);
    key.append(sample);
    item.append(key, document.createTextNode(series.label));
    legend.append(item);
  });
  figure.append(legend);
  return figure;
}
