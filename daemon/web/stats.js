// The Statistics view: totals, by day, by account, and the sortable breakdown.
import {$, L} from './base.js';
import {N_, t} from './i18n.js';
import {el, fmtNum, fmtDay, emptyRow, fmtRate} from './page.js';
import {api} from './api.js';
import {CHART_REFRESH_MS, charts, loadCharts} from './charts.js';
import {loadNames} from './requests.js';

function statCard(label, value) {
  return el('div', {class: 'stat'},
    el('div', {class: 'value', text: fmtNum(value)}),
    el('div', {class: 'label', text: label}));
}

function usageCells(totals) {
  return [totals.requests, totals.input_tokens, totals.output_tokens, totals.total_tokens]
    .map((n) => el('td', {class: 'num', text: fmtNum(n)}));
}

// One row per key, account or model (GET /admin/stats?by=), sortable by any column.
const BREAKDOWN = [
  [N_('Name'), (r) => r.key_name || r.account_name || r.model || t('(none)'), false],
  [N_('Requests'), (r) => r.requests, true],
  [N_('Errors'), (r) => r.errors, true],
  [N_('Error rate'), (r) => L.errorRate(r.errors, r.requests), true, fmtRate],
  [N_('Input'), (r) => r.input_tokens, true],
  [N_('Output'), (r) => r.output_tokens, true],
  [N_('Credits'), (r) => r.credits, true],
  [N_('Avg ms'), (r) => r.avg_duration_ms, true],
  [N_('Avg TTFB ms'), (r) => r.avg_ttfb_ms, true],
];
const breakdown = {rows: [], total: null, column: 1, descending: true};

function breakdownCells(row, tag) {
  return BREAKDOWN.map(([, value, numeric, format]) => el(tag, {
    class: numeric ? 'num' : 'name',
    text: numeric ? (format || fmtNum)(value(row)) : value(row),
  }));
}

function sortBreakdown(column) {
  breakdown.descending = breakdown.column === column ? !breakdown.descending : column > 0;
  breakdown.column = column;
  drawBreakdown();
  $('breakdown-head').querySelectorAll('button')[column].focus();
}

function drawBreakdown() {
  const [, value] = BREAKDOWN[breakdown.column];
  const rows = L.sortRows(breakdown.rows, value, breakdown.descending);
  $('breakdown-head').replaceChildren(...BREAKDOWN.map(([label, , numeric], i) => el('th', {
    scope: 'col', class: numeric ? 'num' : '',
    'aria-sort': i === breakdown.column ? (breakdown.descending ? 'descending' : 'ascending')
      : 'none',
  }, el('button', {type: 'button', class: 'sort', text: t(label),
    onclick: () => sortBreakdown(i)}))));
  $('breakdown-body').replaceChildren(...(rows.length
    ? rows.map((r) => el('tr', null, breakdownCells(r, 'td')))
    : [emptyRow(BREAKDOWN.length, t('No usage in this period.'))]));
  const total = Object.assign({key_name: t('Total')}, breakdown.total || {});
  $('breakdown-foot').replaceChildren(el('tr', null, breakdownCells(total, 'th')));
}

export async function loadBreakdown() {
  const by = $('stats-by').value;
  const answer = await api('GET',
    `/admin/stats?days=${encodeURIComponent($('stats-days').value)}&by=${by}`);
  breakdown.rows = answer.rows || [];
  breakdown.total = answer.total;
  $('breakdown-title').textContent =
    t('Usage by {what}', {what: $('stats-by').selectedOptions[0].textContent});
  drawBreakdown();
}

export async function loadStats() {
  const days = $('stats-days').value;
  const [tokens, accounts, keys] = await Promise.all([
    api('GET', `/admin/stats/tokens?days=${encodeURIComponent(days)}`),
    api('GET', '/admin/stats/accounts'),
    api('GET', '/admin/stats/api-keys'),
  ]);
  const period = tokens.period || {};
  const range = {from: fmtDay(period.start_date), to: fmtDay(period.end_date), n: period.days};
  $('stats-period').textContent = period.days === 1
    ? t('{from} to {to} (1 day, UTC)', range) : t('{from} to {to} ({n} days, UTC)', range);
  const total = tokens.total || {};
  $('stats-totals').replaceChildren(
    statCard(t('Requests'), total.requests),
    statCard(t('Input tokens'), total.input_tokens),
    statCard(t('Output tokens'), total.output_tokens),
    statCard(t('Total tokens'), total.total_tokens),
    statCard(t('Credits'), total.credits));
  await loadBreakdown();
  if ($('chart-key').options.length === 1) await loadNames();  // only "all" so far
  if (Date.now() - charts.loadedAt >= CHART_REFRESH_MS) await loadCharts();
  const daily = tokens.daily || [];
  $('stats-daily').replaceChildren(...(daily.length
    ? daily.map((d) => el('tr', null, el('td', {text: d.date}), usageCells(d)))
    : [emptyRow(5, t('No usage in this period.'))]));
  const byAccount = tokens.by_account || [];
  $('stats-accounts').replaceChildren(...(byAccount.length
    ? byAccount.map((a) => el('tr', null, el('td', {class: 'name', text: a.account_name}),
      usageCells(a)))
    : [emptyRow(5, t('No usage in this period.'))]));
  $('stats-summary').replaceChildren(
    statCard(t('Accounts'), accounts.total_accounts),
    statCard(t('Enabled accounts'), accounts.active_accounts),
    statCard(t('Healthy accounts'), accounts.healthy_accounts),
    statCard(t('API keys'), keys.total_keys),
    statCard(t('Active keys'), keys.active_keys),
    statCard(t('Requests'), accounts.total_requests),
    statCard(t('Tokens'), accounts.total_tokens));
}
