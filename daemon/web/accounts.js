// The Accounts view: the table, adding one, editing one.
import {$, L} from './base.js';
import {t} from './i18n.js';
import {
  append, el, button, yesNo, stateBadge, fmtNum, fmtLimit, fmtTime, wholeNumber, showMessage,
  editing, openDialog, closeDialog, focusButton,
} from './page.js';
import {api} from './api.js';
import {guarded, submitForm} from './actions.js';
import {tables, drawTable} from './tables.js';
import {openEvents} from './health.js';

function stateCell(account) {
  const state = account.state || (account.is_healthy ? 'healthy' : 'unhealthy');
  const cell = el('td', null, stateBadge(state));
  const notes = [];
  if (account.state_reason) notes.push(account.state_reason);
  if (account.state_until) notes.push(t('until {time}', {time: fmtTime(account.state_until)}));
  if (notes.length) append(cell, el('span', {class: 'reason', text: notes.join(' · ')}));
  return cell;
}

export function accountRow(account, usage) {
  const enabled = L.accountEnabled(account);
  const named = {name: account.name};
  const actions = el('td', {class: 'actions'},
    button(t('Edit'), (e) => openAccountEdit(account, e.target), 'secondary',
      t('Edit account “{name}”', named)),
    button(t('Health'), (e) => guarded(e.target, () => openEvents(account, e.target)),
      'secondary', t('Health of account “{name}”', named)),
    button(enabled ? t('Disable') : t('Enable'), (e) => guarded(e.target, async () => {
      await api('PUT', `/admin/accounts/${account.id}`, {is_active: !enabled});
      showMessage(enabled ? t('Disabled account “{name}”.', named)
        : t('Enabled account “{name}”.', named), 'success');
      await loadAccounts();
    }), 'secondary', enabled ? t('Disable account “{name}”', named)
      : t('Enable account “{name}”', named)),
    button(t('Refresh token'), (e) => guarded(e.target, async () => {
      try {
        const answer = await api('POST', `/admin/accounts/${account.id}/refresh-token`);
        const until = answer && answer.access_expires_at;
        showMessage(until ? t('Refreshed the token of account “{name}”; it expires {time}.',
          {name: account.name, time: fmtTime(until)})
          : t('Refreshed the token of account “{name}”.', named), 'success');
      } finally {
        // A refused refresh quarantines the account: show its new state either way.
        await loadAccounts().catch(() => undefined);
      }
    }), 'secondary', t('Refresh token of account “{name}”', named)),
    button(t('Quota'), (e) => guarded(e.target, async () => {
      const q = await api('GET', `/admin/accounts/${account.id}/quota`);
      const facts = {
        name: account.name, used: fmtNum(q.used), limit: fmtNum(q.limit),
        remaining: fmtNum(q.remaining), time: fmtTime(q.next_reset),
      };
      let text = q.next_reset
        ? t('Quota of account “{name}”: {used} of {limit} used, {remaining} remaining, resets {time}', facts)
        : t('Quota of account “{name}”: {used} of {limit} used, {remaining} remaining', facts);
      if (q.subscription) text += ` (${q.subscription})`;
      showMessage(`${text}.`, 'info');
    }), 'secondary', t('Quota of account “{name}”', named)),
    button(t('Delete'), (e) => {
      if (!window.confirm(t('Delete account “{name}”? Its tokens are removed too.', named))) {
        return;
      }
      guarded(e.target, async () => {
        await api('DELETE', `/admin/accounts/${account.id}`);
        showMessage(t('Deleted account “{name}”.', named), 'success');
        await loadAccounts();
      });
    }, 'danger', t('Delete account “{name}”', named)));
  const name = el('td', {class: 'name', text: account.name, title: account.notes || ''});
  if (account.notes) append(name, el('span', {class: 'reason', text: account.notes}));
  return el('tr', {className: 'account-row'},
    el('td', {class: 'num', text: account.id}),
    name,
    el('td', {text: account.kind || '—'}),
    stateCell(account),
    el('td', null, yesNo(enabled)),
    el('td', {class: 'num', text: fmtLimit(account.requests_per_minute)}),
    el('td', {class: 'num', text: usage ? fmtNum(usage.total_requests_all_time) : '—'}),
    el('td', {class: 'num', text: usage ? fmtNum(usage.total_tokens_all_time) : '—'}),
    actions);
}

export async function loadAccounts() {
  // Request and token counts come from the statistics; the table stands without them.
  const [accounts, usage] = await Promise.all([
    api('GET', '/admin/accounts'),
    api('GET', '/admin/stats/account-usage?days=1').catch(() => null),
  ]);
  const byId = new Map(((usage && usage.accounts) || []).map((u) => [u.account_id, u]));
  tables.accounts.rows = Array.isArray(accounts) ? accounts : [];
  tables.accounts.usage = byId;
  drawTable('accounts');
}

export async function addAccount(event) {
  event.preventDefault();
  await submitForm($('account-submit'), 'account-error', async () => {
    const body = {
      name: $('account-name').value.trim(),
      kind: $('account-kind').value,
      refresh_token: $('account-refresh-token').value.trim(),
    };
    const optional = {
      client_id: $('account-client-id').value.trim(),
      client_secret: $('account-client-secret').value.trim(),
      profile_arn: $('account-profile-arn').value.trim(),
      notes: $('account-notes').value.trim(),
    };
    for (const [field, value] of Object.entries(optional)) if (value) body[field] = value;
    const rpm = wholeNumber($('account-rpm'), t('Requests per minute'));
    if (rpm !== undefined) body.requests_per_minute = rpm;
    const created = await api('POST', '/admin/accounts', body);
    $('account-form').reset();  // the secrets leave the page with it
    showMessage(t('Added account “{name}”.', {name: created.name}), 'success');
    await loadAccounts();
  });
}

function openAccountEdit(account, opener) {
  editing.account = account;
  $('account-edit-title').textContent = t('Edit account “{name}”', {name: account.name});
  $('edit-account-name').value = account.name;
  $('edit-account-rpm').value = account.requests_per_minute || 0;
  $('edit-account-notes').value = account.notes || '';
  $('edit-account-proxy').value = account.proxy || '';
  $('edit-account-endpoint').value = account.api_endpoint || '';
  $('edit-account-token').value = '';
  openDialog('account-edit', 'account-edit-error', opener);
}

export async function saveAccount(event) {
  event.preventDefault();
  const account = editing.account;
  await submitForm($('account-edit-save'), 'account-edit-error', async () => {
    const body = {
      name: $('edit-account-name').value.trim(),
      requests_per_minute: wholeNumber($('edit-account-rpm'), t('Requests per minute')),
      notes: $('edit-account-notes').value.trim(),
      proxy: $('edit-account-proxy').value.trim(),
      api_endpoint: $('edit-account-endpoint').value.trim(),
    };
    const token = $('edit-account-token').value.trim();
    if (token) body.refresh_token = token;
    await api('PUT', `/admin/accounts/${account.id}`, body);
    $('edit-account-token').value = '';
    closeDialog('account-edit');
    showMessage(t('Saved account “{name}”.', {name: body.name}), 'success');
    await loadAccounts();
    focusButton(t('Edit account “{name}”', {name: body.name}));
  });
}
