// What the dashboard computes, as pure functions: no DOM, no clock, no network. The page
// loads it before its modules (as window.amqDashboard); node loads it for the unit tests in
// tests/unit/daemon/web/.
'use strict';

(function (root) {
  // "Delete {what}" with {what: 'x'} → "Delete x"; a name not in vars stays as it is.
  function format(template, vars) {
    return String(template).replace(/\{(\w+)\}/g,
      (whole, name) => (vars && vars[name] !== undefined ? String(vars[name]) : whole));
  }

  // The language to show: the one chosen on this page, else the browser's first English or
  // Chinese one, else English.
  const LANGUAGES = ['en', 'zh-CN'];

  function pickLanguage(stored, browserLanguages) {
    if (LANGUAGES.includes(stored)) return stored;
    for (const tag of browserLanguages || []) {
      const primary = String(tag).toLowerCase().split('-')[0];
      if (primary === 'zh') return 'zh-CN';
      if (primary === 'en') return 'en';
    }
    return 'en';
  }

  // t(text, vars): the text in the dictionary's language, English where it has none.
  function translator(dictionary) {
    return (text, vars) => format(
      dictionary && Object.prototype.hasOwnProperty.call(dictionary, text)
        ? dictionary[text] : text, vars);
  }

  // Text as the page shows it: runs of white space (line breaks in the markup) are one space.
  function normalText(text) {
    return String(text).replace(/\s+/g, ' ').trim();
  }

  // The rows whose fields hold every word of the search, ignoring case.
  function searchRows(rows, text, fields) {
    const words = normalText(text).toLowerCase().split(' ').filter((w) => w);
    if (!words.length) return rows;
    return rows.filter((row) => {
      const haystack = fields.map((f) => {
        const value = typeof f === 'function' ? f(row) : row[f];
        return value === undefined || value === null ? '' : String(value);
      }).join('\n').toLowerCase();
      return words.every((w) => haystack.includes(w));
    });
  }

  // One page of `size` rows; `page` (from 1) is kept within the pages there are.
  function pageRows(rows, page, size) {
    const pages = Math.max(1, Math.ceil(rows.length / size));
    const current = Math.min(Math.max(1, Math.floor(page) || 1), pages);
    const start = (current - 1) * size;
    return {
      rows: rows.slice(start, start + size), page: current, pages,
      first: rows.length ? start + 1 : 0, last: Math.min(start + size, rows.length),
    };
  }

  // Rows sorted by value(row), strings by locale, numbers by size; a copy.
  function sortRows(rows, value, descending) {
    const sign = descending ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = value(a), y = value(b);
      return sign * (typeof x === 'string' ? x.localeCompare(y) : (x || 0) - (y || 0));
    });
  }

  function errorRate(errors, requests) {
    return requests ? errors / requests : 0;
  }

  // One day's totals from GET /admin/stats?by=day rows; a day without a row is zeros.
  function dayTotals(rows, date) {
    const row = (rows || []).find((r) => r.date === date) || {};
    return {
      requests: row.requests || 0, errors: row.errors || 0, tokens: row.total_tokens || 0,
      credits: row.credits || 0,
    };
  }

  // The seed's is_active, else enabled: the admin API answers with both.
  function accountEnabled(account) {
    return account.is_active !== undefined ? account.is_active : account.enabled;
  }

  function accountState(account) {
    return accountEnabled(account) ? (account.state || 'healthy') : 'disabled';
  }

  // [[state, count]] in the order the states are first met.
  function countStates(accounts) {
    const counts = new Map();
    for (const a of accounts) counts.set(accountState(a), (counts.get(accountState(a)) || 0) + 1);
    return [...counts];
  }

  // The start (ms) of the first of the last `hours` hours' buckets, the current one included.
  function chartStart(nowMs, hours) {
    const bucketMs = (hours <= 168 ? 1 : 24) * 3600e3;
    return Math.floor(nowMs / bucketMs) * bucketMs - (hours * 3600e3 / bucketMs - 1) * bucketMs;
  }

  // A chart's time (unix seconds) as the language writes it: day and hour for hourly buckets,
  // the day for daily ones. `timeZone` is the browser's when undefined.
  function chartTime(seconds, hourly, language, timeZone) {
    const parts = hourly
      ? {month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false}
      : {month: 'short', day: 'numeric'};
    return new Date(seconds * 1000).toLocaleString(language, Object.assign({timeZone}, parts));
  }

  function shown(value) {
    if (value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  // An audit entry's record: key.create answers {key, api_key}, others the record itself.
  // A removal answers {removed: id, name}: no record is left, its fields were the before.
  function auditRecord(value) {
    if (!value || typeof value !== 'object' || value.removed !== undefined) return {};
    return value.api_key || value.account || value;
  }

  // What an audit entry changed: [field, before, after] for every field whose value differs
  // (a creation has no before, a removal no after), or an import's counts. Fields the daemon
  // moves by itself (times, counters) or repeats under the seed's name are not changes an
  // admin made. amq2apictl audit sums up the same cases in one line (ctl/render.cpp).
  const AUDIT_NOISE = new Set(['last_used_at', 'updated_at', 'created_at', 'state_since',
    'total_requests', 'total_tokens', 'is_active', 'is_healthy']);

  function auditChanges(entry) {
    const outcome = entry && entry.after;
    if (outcome && Array.isArray(outcome.imported)) {
      return ['imported', 'skipped', 'refused']
        .map((f) => [f, '', String(Array.isArray(outcome[f]) ? outcome[f].length : 0)]);
    }
    const before = auditRecord(entry && entry.before);
    const after = auditRecord(entry && entry.after);
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return fields
      .filter((f) => !AUDIT_NOISE.has(f) && shown(before[f]) !== shown(after[f]))
      .map((f) => [f, shown(before[f]), shown(after[f])]);
  }

  // The record an audit entry is about: "#3 “ci”", from its after, before or arguments.
  function auditSubject(entry) {
    const after = auditRecord(entry && entry.after);
    const record = Object.keys(after).length ? after : auditRecord(entry && entry.before);
    const args = (entry && entry.args) || {};
    const target = args.key || args.account || args;
    const id = record.id !== undefined ? record.id : target.id;
    const name = record.name !== undefined ? record.name : target.name;
    return [id !== undefined ? `#${id}` : '', name !== undefined ? `“${name}”` : '']
      .filter((s) => s).join(' ');
  }

  const lib = {
    LANGUAGES, format, pickLanguage, translator, normalText, searchRows, pageRows, sortRows,
    errorRate, dayTotals, accountEnabled, accountState, countStates, chartStart, chartTime,
    auditChanges, auditSubject,
  };
  if (typeof module === 'object' && module.exports) module.exports = lib;
  else root.amqDashboard = lib;
})(this);
