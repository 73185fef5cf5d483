// Unit tests of daemon/web/dashboard-lib.js: what the dashboard computes.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const {WEB} = require('./dashboard_texts.js');
const L = require(path.join(WEB, 'dashboard-lib.js'));

test('format fills named places and leaves unknown ones', () => {
  assert.equal(L.format('Delete key “{name}”', {name: 'ci'}), 'Delete key “ci”');
  assert.equal(L.format('{a} of {b}', {a: 0}), '0 of {b}');
  assert.equal(L.format('no places', null), 'no places');
});

test('a translator falls back to English and fills in the values', () => {
  const t = L.translator({'Hello {who}': '你好 {who}'});
  assert.equal(t('Hello {who}', {who: 'x'}), '你好 x');
  assert.equal(t('Missing {n}', {n: 2}), 'Missing 2');
  assert.equal(L.translator(null)('toString'), 'toString', 'no inherited members');
});

test('the language is the stored choice, else the browser first English or Chinese', () => {
  assert.equal(L.pickLanguage('zh-CN', ['en-US']), 'zh-CN');
  assert.equal(L.pickLanguage('en', ['zh-CN']), 'en');
  assert.equal(L.pickLanguage(null, ['zh-TW', 'en']), 'zh-CN');
  assert.equal(L.pickLanguage(null, ['de-DE', 'en-GB', 'zh']), 'en');
  assert.equal(L.pickLanguage('fr', ['fr-FR']), 'en');
  assert.equal(L.pickLanguage(null, undefined), 'en');
});

test('normal text joins the markup white space', () => {
  assert.equal(L.normalText('\n   Requests /\n minute  '), 'Requests / minute');
});

const accounts = [
  {id: 1, name: 'alpha', kind: 'idc', state: 'healthy', is_active: true, notes: 'team A'},
  {id: 2, name: 'beta', kind: 'social', state: 'quarantined', is_active: true,
    state_reason: 'refresh token refused'},
  {id: 3, name: 'Gamma', kind: 'idc', state: 'healthy', is_active: false},
];

test('search matches every word in any field, ignoring case', () => {
  const fields = ['id', 'name', 'kind', (a) => L.accountState(a), 'notes', 'state_reason'];
  const names = (text) => L.searchRows(accounts, text, fields).map((a) => a.name);
  assert.deepEqual(names(''), ['alpha', 'beta', 'Gamma']);
  assert.deepEqual(names('  '), ['alpha', 'beta', 'Gamma']);
  assert.deepEqual(names('gamma'), ['Gamma']);
  assert.deepEqual(names('idc healthy'), ['alpha']);
  assert.deepEqual(names('disabled'), ['Gamma']);
  assert.deepEqual(names('REFUSED'), ['beta']);
  assert.deepEqual(names('team b'), []);
  assert.deepEqual(names('3'), ['Gamma']);
});

test('pages hold size rows and the page stays within those there are', () => {
  const rows = Array.from({length: 120}, (_, i) => i + 1);
  const second = L.pageRows(rows, 2, 50);
  assert.deepEqual([second.rows[0], second.rows.length, second.page, second.pages], [51, 50, 2, 3]);
  assert.deepEqual([second.first, second.last], [51, 100]);
  const last = L.pageRows(rows, 9, 50);
  assert.deepEqual([last.page, last.rows.length, last.first, last.last], [3, 20, 101, 120]);
  assert.equal(L.pageRows(rows, 0, 50).page, 1);
  assert.equal(L.pageRows(rows, NaN, 50).page, 1);
  const none = L.pageRows([], 4, 50);
  assert.deepEqual([none.page, none.pages, none.first, none.last, none.rows], [1, 1, 0, 0, []]);
});

test('sorting orders numbers and names either way, on a copy', () => {
  const rows = [{n: 'b', v: 2}, {n: 'a', v: 10}, {n: 'c', v: 1}];
  assert.deepEqual(L.sortRows(rows, (r) => r.v, true).map((r) => r.v), [10, 2, 1]);
  assert.deepEqual(L.sortRows(rows, (r) => r.n, false).map((r) => r.n), ['a', 'b', 'c']);
  assert.deepEqual(rows.map((r) => r.n), ['b', 'a', 'c']);
});

test('the error rate of no requests is zero', () => {
  assert.equal(L.errorRate(0, 0), 0);
  assert.equal(L.errorRate(1, 4), 0.25);
});

test('a day without a row is zeros', () => {
  const rows = [{date: '2026-12-05', requests: 3, errors: 1, total_tokens: 90, credits: 0.5}];
  assert.deepEqual(L.dayTotals(rows, '2026-12-05'),
    {requests: 3, errors: 1, tokens: 90, credits: 0.5});
  assert.deepEqual(L.dayTotals(rows, '2026-12-06'), {requests: 0, errors: 0, tokens: 0, credits: 0});
});

test('accounts are counted by state, a disabled one as disabled whatever its health', () => {
  assert.deepEqual(L.countStates(accounts), [['healthy', 1], ['quarantined', 1], ['disabled', 1]]);
  assert.equal(L.accountEnabled({enabled: false}), false);
  assert.equal(L.accountState({enabled: true}), 'healthy');
});

test('a chart starts at the first of the last whole buckets, the current one included', () => {
  const now = Date.parse('2026-12-06T10:42:00Z');
  assert.equal(new Date(L.chartStart(now, 24)).toISOString(), '2026-12-05T11:00:00.000Z');
  assert.equal(new Date(L.chartStart(now, 168)).toISOString(), '2026-11-29T11:00:00.000Z');
  assert.equal(new Date(L.chartStart(now, 720)).toISOString(), '2026-11-07T00:00:00.000Z');
});

test('chart times are written in the language, by hour or by day', () => {
  const at = Date.parse('2026-12-06T14:00:00Z') / 1000;
  assert.equal(L.chartTime(at, true, 'en-US', 'UTC'), '12/6, 14:00');
  assert.equal(L.chartTime(at, false, 'en-US', 'UTC'), 'Dec 6');
  assert.equal(L.chartTime(at, false, 'zh-CN', 'UTC'), '12月6日');
  assert.match(L.chartTime(at, true, 'zh-CN', 'UTC'), /^12\/6 14:00$/);
  assert.equal(L.chartTime(at, false, 'en-US', 'Asia/Shanghai'), 'Dec 6');
  assert.equal(L.chartTime(at + 10 * 3600, false, 'en-US', 'Asia/Shanghai'), 'Dec 7');
});

test('an audit entry shows the fields an admin changed, not the ones the daemon moves', () => {
  const update = {
    command: 'key.update', args: {key: {name: 'ci'}, set: {requests_per_minute: 7}},
    before: {id: 3, name: 'ci', requests_per_minute: 5, allowed_models: [], enabled: true,
      is_active: true, last_used_at: null},
    after: {id: 3, name: 'ci', requests_per_minute: 7, allowed_models: ['m'], enabled: false,
      is_active: false, last_used_at: '2026-12-06T10:00:00Z'},
  };
  assert.deepEqual(L.auditChanges(update), [['requests_per_minute', '5', '7'],
    ['allowed_models', '[]', '["m"]'], ['enabled', 'true', 'false']]);
  assert.equal(L.auditSubject(update), '#3 “ci”');
});

test('a created key is read from its api_key; a removal from before; an import counted', () => {
  const created = {after: {key: '***', api_key: {id: 4, name: 'new', requests_per_minute: 60}},
    before: null};
  assert.deepEqual(L.auditChanges(created), [['id', '', '4'], ['name', '', 'new'],
    ['requests_per_minute', '', '60']]);
  assert.equal(L.auditSubject(created), '#4 “new”');
  const removed = {before: {id: 5, name: 'old'}, after: {removed: 5, name: 'old'}, args: {id: 5}};
  assert.deepEqual(L.auditChanges(removed), [['id', '5', ''], ['name', 'old', '']]);
  assert.equal(L.auditSubject(removed), '#5 “old”');
  const imported = {before: null, after: {imported: [{name: 'a'}, {name: 'b'}], skipped: [],
    refused: [{source: 'x.json'}]}};
  assert.deepEqual(L.auditChanges(imported),
    [['imported', '', '2'], ['skipped', '', '0'], ['refused', '', '1']]);
  assert.equal(L.auditSubject({args: {account: {id: 9}}, after: {}}), '#9');
  assert.deepEqual(L.auditChanges({}), []);
  assert.equal(L.auditSubject({}), '');
});
