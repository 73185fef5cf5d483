// The landing view: today, the pool, the queue, quotas.
import {$, L} from './base.js';
import {N_, language, t} from './i18n.js';
import {append, el, stateBadge, fmtNum, fmtDay, fmtRate, showMessage} from './page.js';
import {ApiError, api} from './api.js';

function compareCard(label, today, yesterday, format) {
  const show = format || fmtNum;
  return el('div', {class: 'stat'},
    el('div', {class: 'value', text: show(today)}),
    el('div', {class: 'label', text: label}),
    el('div', {class: 'compare', text: t('yesterday {n}', {n: show(yesterday)})}));
}

function quotaItem(account) {
  const q = account.quota;
  const item = el('li', null, el('span', {class: 'name', text: account.name}));
  if (!q) {
    append(item, el('span', {class: 'muted', text: t('not checked yet')}));
    return item;
  }
  const used = {used: fmtNum(q.used), limit: fmtNum(q.limit), day: fmtDay(q.next_reset)};
  const label = q.next_reset ? t('{used} of {limit} used, resets {day}', used)
    : t('{used} of {limit} used', used);
  append(item, [el('meter', {
    min: 0, max: Math.max(q.limit, 1), value: q.used, low: q.limit * 0.75,
    high: q.limit * 0.9, optimum: 0,
    'aria-label': t('Quota of account “{name}”', {name: account.name}),
    title: label,
  }), el('span', {text: label})]);
  return item;
}

export async function loadOverview() {
  const [days, accounts, status] = await Promise.all([
    api('GET', '/admin/stats?days=2&by=day'), api('GET', '/admin/accounts'),
    api('GET', '/admin/status'),
  ]);
  const period = days.period || {};
  const rows = days.rows || [];
  const today = L.dayTotals(rows, String(period.to || '').slice(0, 10));
  const yesterday = L.dayTotals(rows, String(period.from || '').slice(0, 10));
  const rate = (t) => L.errorRate(t.errors, t.requests);
  $('overview-today').replaceChildren(
    compareCard(t('Requests'), today.requests, yesterday.requests),
    compareCard(t('Errors'), today.errors, yesterday.errors),
    compareCard(t('Error rate'), rate(today), rate(yesterday), fmtRate),
    compareCard(t('Tokens'), today.tokens, yesterday.tokens),
    compareCard(t('Credits'), today.credits, yesterday.credits));
  const list = Array.isArray(accounts) ? accounts : [];
  const counts = new Map(L.countStates(list));
  $('overview-states').replaceChildren(...(list.length
    ? [...counts].map(([state, n]) => el('li', null, stateBadge(state),
      el('span', {class: 'count', text: fmtNum(n)})))
    : [el('li', {class: 'muted', text: t('No accounts yet.')})]));
  const queue = status.queue || {};
  const inflight = (status.workers || []).reduce((n, w) => n + (w.inflight || 0), 0);
  const facts = [
    [N_('Requests in flight'), fmtNum(inflight)],
    [N_('Waiting for an account'), t('{n} of at most {max}',
      {n: fmtNum(queue.depth), max: fmtNum(queue.max)})],
    [N_('Refused after waiting'), t('{timeouts} timed out, {full} with the queue full (since start)',
      {timeouts: fmtNum(queue.timeouts), full: fmtNum(queue.full)})],
    [N_('Accounts cooling down'), fmtNum(counts.get('cooling') || 0)],
    [N_('Workers'), fmtNum((status.workers || []).length)],
  ];
  $('overview-now').replaceChildren(...facts.flatMap(([term, value]) =>
    [el('dt', {text: t(term)}), el('dd', {text: value})]));
  $('overview-quota').replaceChildren(...(list.length
    ? list.map(quotaItem) : [el('li', {class: 'muted', text: t('No accounts yet.')})]));
  $('overview-updated').textContent =
    t('updated {time}', {time: new Date().toLocaleTimeString(language)});
}

// Asks the upstream for every enabled account's quota, one after another, then shows them.
export async function checkQuotas() {
  const accounts = await api('GET', '/admin/accounts');
  const failed = [];
  for (const a of accounts.filter(L.accountEnabled)) {
    try {
      await api('GET', `/admin/accounts/${a.id}/quota`);
    } catch (e) {
      if (e instanceof ApiError && e.keyRefused) return;
      failed.push(`“${a.name}”: ${e.message}`);  // names and reasons: not translated
    }
  }
  await loadOverview();
  if (failed.length) showMessage(t('No quota for {list}', {list: failed.join('; ')}), 'error');
}
