// An account's health history, and letting it serve again.
import {$, L} from './base.js';
import {t} from './i18n.js';
import {
  el, stateBadge, fmtTime, fillBody, emptyRow, showMessage, editing, openDialog,
} from './page.js';
import {api} from './api.js';
import {submitForm} from './actions.js';
import {loadAccounts} from './accounts.js';

function drawEvents(answer) {
  const account = answer.account || {};
  const state = L.accountState(account);
  $('events-title').textContent = t('Health of account “{name}”', {name: account.name});
  const notes = [account.state_reason, account.state_until &&
    t('until {time}', {time: fmtTime(account.state_until)})].filter((n) => n);
  $('events-state').replaceChildren(t('Now:'), ' ', stateBadge(state),
    notes.length ? ` ${notes.join(' · ')}` : '');
  const events = [...(answer.events || [])].reverse();
  fillBody($('events-body'), events.length
    ? events.map((e) => el('tr', null, el('td', {text: fmtTime(e.at)}),
      el('td', null, stateBadge(e.from)), el('td', null, stateBadge(e.to)),
      el('td', {class: 'name', text: e.reason || '—'})))
    : [emptyRow(4, t('No health changes recorded.'))]);
  // Only an account kept from serving by its health can be let back in by hand.
  $('events-reset-form').hidden = state === 'healthy' || state === 'disabled';
}

export async function openEvents(account, opener) {
  editing.account = account;
  drawEvents(await api('GET', `/admin/accounts/${account.id}/events`));
  $('events-note').value = '';
  openDialog('account-events', 'events-error', opener);
}

export async function resetHealth(event) {
  event.preventDefault();
  const account = editing.account;
  await submitForm($('events-reset'), 'events-error', async () => {
    await api('POST', `/admin/accounts/${account.id}/reset-health`,
      {note: $('events-note').value.trim()});
    $('events-note').value = '';
    showMessage(t('Account “{name}” may serve again.', {name: account.name}), 'success');
    await loadAccounts();
    drawEvents(await api('GET', `/admin/accounts/${account.id}/events`));
  });
}
