// The request log.
import {$} from './base.js';
import {t} from './i18n.js';
import {append, el, badge, fmtNum, fmtTime, fillBody, emptyRow} from './page.js';
import {ApiError, api} from './api.js';
import {guarded} from './actions.js';

// The page shown is found again from where it started: `positions` holds the `before` of
// each page from the newest, so Newest and Older need nothing else.
export const requestLog = {
  positions: [null], next: null, keys: new Map(), accounts: new Map(),
  drawn: 0,  // pages asked for: only the latest one asked is drawn
};

function fillSelect(select, records, fixed) {
  const chosen = select.value;
  select.replaceChildren(...fixed.map(([value, text]) => el('option', {value, text})),
    ...records.map((r) => el('option', {value: String(r.id), text: r.name})));
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
}

// The key and account choices of the log's and the charts' filters.
export async function loadNames() {
  const [keys, accounts] = await Promise.all([
    api('GET', '/admin/api-keys'), api('GET', '/admin/accounts')]);
  requestLog.keys = new Map(keys.map((k) => [k.id, k.name]));
  requestLog.accounts = new Map(accounts.map((a) => [a.id, a.name]));
  const none = ['none', t('none (never reached one)')];
  fillSelect($('log-key'), keys, [['', t('any')]]);
  fillSelect($('log-account'), accounts, [['', t('any')], none]);
  fillSelect($('chart-key'), keys, [['', t('all')]]);
  fillSelect($('chart-account'), accounts, [['', t('all')], none]);
}

// The form's filters as the query of GET /admin/usage; the time typed is UTC.
function logQuery(before) {
  const query = new URLSearchParams();
  const fields = {
    request_id: $('log-request-id').value.trim(), key: $('log-key').value,
    account: $('log-account').value, model: $('log-model').value.trim(),
    status: $('log-status').value,
    since: $('log-since').value ? `${$('log-since').value}:00Z` : '',
  };
  for (const [name, value] of Object.entries(fields)) if (value) query.set(name, value);
  if (!fields.since) query.set('since', '1970-01-01');  // everything the store still holds
  query.set('limit', $('log-limit').value);
  if (before) query.set('before', before);
  return query.toString();
}

function nameOf(map, id) {
  if (!id) return '—';
  return map.has(id) ? `${map.get(id)} (#${id})` : `#${id}`;
}

function statusCell(record) {
  const failed = record.status >= 400 || record.status === 0 || record.error_class;
  const cell = el('td', null, badge(String(record.status), failed ? 'bad' : 'ok'));
  if (record.error_class) append(cell, el('span', {class: 'reason', text: record.error_class}));
  return cell;
}

function logRow(r) {
  return el('tr', null,
    el('td', {text: fmtTime(r.time)}),
    el('td', {class: 'request-id', text: r.request_id || '—'}),
    el('td', {class: 'name', text: nameOf(requestLog.keys, r.key_id)}),
    el('td', {class: 'name', text: nameOf(requestLog.accounts, r.account_id)}),
    el('td', {text: r.client_model || '—'}),
    statusCell(r),
    [r.input_tokens, r.output_tokens, r.ttfb_ms, r.duration_ms]
      .map((n) => el('td', {class: 'num', text: fmtNum(n)})));
}

function logError(text) {
  $('log-error').textContent = text;
  $('log-error').hidden = !text;
}

export async function showLogPage() {
  const before = requestLog.positions[requestLog.positions.length - 1];
  const asked = ++requestLog.drawn;
  const page = await api('GET', `/admin/usage?${logQuery(before)}`);
  if (asked !== requestLog.drawn) return;  // a newer search (or live refresh) draws instead
  const records = page.records || [];
  requestLog.next = page.next;
  fillBody($('log-body'), records.length
    ? records.map(logRow) : [emptyRow(10, t('No request matches.'))]);
  const number = requestLog.positions.length;
  const shownPage = {page: number, n: records.length};
  $('log-summary').textContent = records.length === 1
    ? (page.next ? t('Page {page}: 1 request, newest first; older ones follow.', shownPage)
      : t('Page {page}: 1 request, newest first.', shownPage))
    : (page.next ? t('Page {page}: {n} requests, newest first; older ones follow.', shownPage)
      : t('Page {page}: {n} requests, newest first.', shownPage));
  $('log-older').disabled = !page.next;
  $('log-newest').disabled = number === 1;
}

// A refused filter is told beside the form, announced, and the form keeps its input.
export async function searchLog(event) {
  if (event) event.preventDefault();
  requestLog.positions = [null];
  logError('');
  try {
    await showLogPage();
  } catch (e) {
    if (e instanceof ApiError && e.keyRefused) return;
    logError(e.message);
    $('log-error').scrollIntoView({block: 'nearest'});
  }
}

export async function loadRequests() {
  await loadNames();
  await searchLog();
}

export function clearLog() {
  $('log-form').reset();
  searchLog();
}

export async function olderLog() {
  if (!requestLog.next) return;
  requestLog.positions.push(requestLog.next);
  await guarded(null, showLogPage);  // showLogPage decides which pager buttons work
}

export async function newestLog() {
  requestLog.positions = [null];
  await guarded(null, showLogPage);
}
