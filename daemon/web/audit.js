// The audit log.
import {$, L} from './base.js';
import {t} from './i18n.js';
import {el, fmtTime, fillBody, emptyRow} from './page.js';
import {api} from './api.js';

function changeList(entry) {
  const changes = L.auditChanges(entry);
  if (!changes.length) return el('span', {class: 'muted', text: '—'});
  const value = (v) => (v === '' ? t('(none)') : v);
  return el('ul', {class: 'changes'}, changes.map(([field, before, after]) => el('li', null,
    el('code', {text: field}), `: ${value(before)} → ${value(after)}`)));
}

function auditRow(entry) {
  return el('tr', null,
    el('td', {text: fmtTime(entry.at)}),
    el('td', {class: 'name', text: entry.actor || '—'}),
    el('td', null, el('code', {text: entry.command})),
    el('td', {class: 'name', text: L.auditSubject(entry) || '—'}),
    el('td', {class: 'name'}, changeList(entry)));
}

export async function loadAudit() {
  const answer = await api('GET',
    `/admin/audit?limit=${encodeURIComponent($('audit-limit').value)}`);
  const entries = [...(answer.entries || [])].reverse();  // the newest first
  fillBody($('audit-body'), entries.length
    ? entries.map(auditRow) : [emptyRow(5, t('No changes yet.'))]);
}
