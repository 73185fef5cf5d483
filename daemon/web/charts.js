// The Statistics view's charts (uPlot, a classic script loaded before these modules).
import {$, L} from './base.js';
import {language, t} from './i18n.js';
import {el, fmtNum, fmtTime} from './page.js';
import {api} from './api.js';

// The series are summed from raw records on the master's loop: a live view draws them again
// once a minute, not at every refresh; the form, the range and Reload draw them at once.
export const CHART_REFRESH_MS = 60000;
export const charts = {series: null, loadedAt: 0};

function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function chartQuery() {
  // The last N whole buckets, the current (partial) one included.
  const hours = Number($('chart-range').value);
  const query = new URLSearchParams({
    since: new Date(L.chartStart(Date.now(), hours)).toISOString().slice(0, 19) + 'Z',
    bucket: hours <= 168 ? 'hour' : 'day',
  });
  for (const [name, id] of [['key', 'chart-key'], ['account', 'chart-account'],
    ['model', 'chart-model']]) {
    const value = $(id).value.trim();
    if (value) query.set(name, value);
  }
  return query.toString();
}

// One uPlot chart in `id`, x the buckets' starts; lines: [label, values, colour variable].
function drawChart(id, xs, lines, unit) {
  const target = $(id);
  const axis = {stroke: cssColor('--muted'), grid: {stroke: cssColor('--border'), width: 1},
    ticks: {stroke: cssColor('--border'), width: 1}};
  // Times in the page's language: uPlot's own labels are English ("Dec", "3pm").
  const hourly = charts.series.bucket === 'hour';
  const time = (s) => (s === null || s === undefined ? '—' : L.chartTime(s, hourly, language));
  const options = {
    width: Math.max(target.clientWidth, 260), height: 200,
    scales: {x: {time: true}},
    axes: [Object.assign({}, axis, {space: 90, values: (u, splits) => splits.map(time)}),
      Object.assign({}, axis, {size: 56})],
    series: [{label: t('Time'), value: (u, s) => time(s)}, ...lines.map(([label, , color]) => ({
      label, stroke: cssColor(color), width: 2, points: {show: false},
    }))],
  };
  target.replaceChildren();
  new uPlot(options, [xs, ...lines.map(([, values]) => values)], target);
  const summary = lines.map(([label, values]) =>
    t('{series}: {n} at most', {series: label, n: fmtNum(Math.max(0, ...values))})).join('; ');
  target.setAttribute('aria-label',
    t('{summary} {unit} per bucket; the table below has all values', {summary, unit}));
}

export function drawCharts() {
  const points = (charts.series && charts.series.points) || [];
  const xs = points.map((p) => Date.parse(p.t) / 1000);
  const column = (field) => points.map((p) => p[field]);
  drawChart('chart-requests', xs, [[t('Requests'), column('requests'), '--accent'],
    [t('Errors'), column('errors'), '--bad']], t('requests'));
  drawChart('chart-tokens', xs, [[t('Input'), column('input_tokens'), '--accent'],
    [t('Output'), column('output_tokens'), '--ok']], t('tokens'));
  drawChart('chart-latency', xs, [['p50', column('p50_ms'), '--accent'],
    ['p95', column('p95_ms'), '--bad'], ['TTFB p50', column('ttfb_p50_ms'), '--ok']], 'ms');
}

export async function loadCharts() {
  charts.series = await api('GET', `/admin/usage/series?${chartQuery()}`);
  charts.loadedAt = Date.now();
  const points = charts.series.points || [];
  drawCharts();
  $('chart-table').replaceChildren(...points.map((p) => el('tr', null,
    el('td', {text: fmtTime(p.t)}),
    ['requests', 'errors', 'input_tokens', 'output_tokens', 'p50_ms', 'p95_ms', 'ttfb_p50_ms',
      'ttfb_p95_ms'].map((f) => el('td', {class: 'num', text: fmtNum(p[f])})))));
  const total = points.reduce((n, p) => n + p.requests, 0);
  const counted = {n: fmtNum(total), buckets: points.length,
    time: fmtTime(charts.series.complete_until)};
  const hourly = charts.series.bucket === 'hour';
  $('chart-note').textContent = charts.series.complete_until
    ? (hourly ? t('{n} requests in {buckets} hours; too many to read at once: only those before {time}', counted)
      : t('{n} requests in {buckets} days; too many to read at once: only those before {time}', counted))
    : (hourly ? t('{n} requests in {buckets} hours.', counted)
      : t('{n} requests in {buckets} days.', counted));
}
