// A small bar chart of one check's value over the job's recent runs, drawn as SVG elements
// (never as markup text): one bar per run, today's highlighted, failing runs marked, and
// the threshold as a dashed line. The table below it carries the same numbers as text.
import type { CheckChart } from '../core/runDetailsModel';
import { svg } from './dom';

const WIDTH = 320;
const HEIGHT = 64;
const PAD_TOP = 4;
const GAP = 2;

export function historyChart(chart: CheckChart): SVGSVGElement {
  const values = chart.points.map((p) => p.value).filter((v): v is number => v !== null);
  const domain = [...values, ...(chart.threshold === null ? [] : [chart.threshold]), 0];
  const low = Math.min(...domain);
  let high = Math.max(...domain);
  if (high === low) high = low + 1;
  const y = (v: number): number => PAD_TOP + (HEIGHT - PAD_TOP) * (1 - (v - low) / (high - low));
  const baseline = y(Math.max(low, Math.min(0, high)));
  const slot = WIDTH / Math.max(chart.points.length, 1);
  const barWidth = Math.max(slot - GAP, 1);

  const root = svg('svg', {
    class: 'history-chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': `${chart.checkName} over the last ${chart.points.length} runs; ${chart.sentence}`,
  });

  chart.points.forEach((point, index) => {
    const x = index * slot + GAP / 2;
    const classes = ['bar'];
    if (point.isToday) classes.push('today');
    if (point.failed) classes.push('failed');
    let top: number;
    let height: number;
    if (point.value === null) {
      classes.push('missing');
      top = baseline - 2;
      height = 2;
    } else {
      const yv = y(point.value);
      top = Math.min(yv, baseline);
      height = Math.max(Math.abs(baseline - yv), 1);
    }
    const label = `${point.isToday ? 'This run' : point.jobRunId} · ${point.timeText} · ${point.valueText}${point.failed ? ' (failed)' : ''}`;
    root.appendChild(svg('rect', { class: classes.join(' '), x: round(x), y: round(top), width: round(barWidth), height: round(height) }, svg('title', {}, label)));
  });

  if (chart.threshold !== null) {
    const ty = round(y(chart.threshold));
    root.appendChild(
      svg('line', { class: 'threshold', x1: 0, x2: WIDTH, y1: ty, y2: ty }, svg('title', {}, `Threshold ${chart.thresholdText}`)),
    );
  }
  return root;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
