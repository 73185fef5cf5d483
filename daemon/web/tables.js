// Searching and paging the account and key tables.
import {$, L} from './base.js';
import {N_, t} from './i18n.js';
import {fmtNum, fillBody, emptyRow} from './page.js';
import {accountRow} from './accounts.js';
import {keyRow} from './keys.js';

// The admin API lists accounts and keys whole; the page searches and pages them. The search
// and the page shown stay across reloads and live refreshes.
const PAGE_SIZE = 50;
export const tables = {
  accounts: {
    rows: [], page: 1, columns: 9, usage: new Map(),
    draw: (a) => accountRow(a, tables.accounts.usage.get(a.id)),
    count: (c) => (c.searching ? t('{found} of {n} accounts match', c)
      : t(c.total === 1 ? N_('{n} account') : N_('{n} accounts'), c)),
    fields: ['id', 'name', 'kind', (a) => L.accountState(a), 'state_reason', 'notes'],
  },
  keys: {
    rows: [], page: 1, columns: 13, draw: (k) => keyRow(k),
    count: (c) => (c.searching ? t('{found} of {n} keys match', c)
      : t(c.total === 1 ? N_('{n} key') : N_('{n} keys'), c)),
    fields: ['id', 'name', 'description', 'key_prefix',
      (k) => (k.allowed_models || []).join(' ')],
  },
};

export function drawTable(name) {
  const table = tables[name];
  const found = L.searchRows(table.rows, $(`${name}-search`).value, table.fields);
  const page = L.pageRows(found, table.page, PAGE_SIZE);
  table.page = page.page;
  const searching = found.length !== table.rows.length;
  fillBody($(`${name}-body`), found.length || !searching
    ? page.rows.map(table.draw) : [emptyRow(table.columns, t('Nothing matches the search.'))]);
  $(`${name}-empty`).hidden = table.rows.length > 0;
  $(`${name}-count`).textContent = table.count({
    searching, total: table.rows.length, n: fmtNum(table.rows.length),
    found: fmtNum(found.length),
  });
  $(`${name}-pager`).hidden = page.pages <= 1;
  $(`${name}-page`).textContent = t('{first}–{last} of {n}, page {page} of {pages}', {
    first: fmtNum(page.first), last: fmtNum(page.last), n: fmtNum(found.length),
    page: page.page, pages: page.pages,
  });
  $(`${name}-prev`).disabled = page.page === 1;
  $(`${name}-next`).disabled = page.page === page.pages;
}

export function turnPage(name, step) {
  tables[name].page += step;
  drawTable(name);
}
