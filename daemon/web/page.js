// Building the page: elements, formats, messages, form errors and dialogs. Every value that
// comes from the API or the user reaches the page through textContent or element properties,
// never as markup.
import {$, L} from './base.js';
import {N_, language, t} from './i18n.js';

// ---- DOM helpers ----------------------------------------------------------------------

export function append(node, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) child.forEach((c) => append(node, c));
  else if (child instanceof Node) node.appendChild(child);
  else node.appendChild(document.createTextNode(String(child)));
}

// el('td', {class: 'num', text: 5}); props are element properties, "on..." are listeners.
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = String(value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name.startsWith('aria-')) node.setAttribute(name, String(value));
    else node[name] = value;
  }
  children.forEach((c) => append(node, c));
  return node;
}

// `name`: what a screen reader says, when the label alone is not enough ("Delete" which?).
export function button(label, onclick, kind, name) {
  return el('button', {
    type: 'button', class: `small ${kind || 'secondary'}`, text: label, onclick,
    'aria-label': name,
  });
}

export function badge(text, kind) {
  return el('span', {class: `badge ${kind || ''}`, text});
}

export function yesNo(value) {
  return value ? badge(t('yes'), 'ok') : badge(t('no'));
}

// A health state's badge ("half-open"), coloured by how much it keeps the account out.
export function stateBadge(state) {
  return badge(STATE_LABEL[state] ? t(STATE_LABEL[state]) : state, STATE_KIND[state] || '');
}

export function fmtNum(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString(language) : '—';
}

// A limit of 0 is no cap at all.
export function fmtLimit(n) {
  return n === 0 ? t('no cap') : fmtNum(n);
}

export function fmtTime(iso, none) {
  if (!iso) return none || '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(language, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

export function fmtDay(iso) {
  return iso ? String(iso).slice(0, 10) : '—';
}

// A table's rows; each cell is named by its column (data-label), which a narrow screen shows
// beside it when the table becomes a card per row.
export function fillBody(body, rows) {
  body.replaceChildren(...rows);
  const table = body.closest('table');
  const names = [...table.tHead.rows[0].cells].map((th) => L.normalText(th.textContent));
  for (const row of body.rows) {
    [...row.cells].forEach((cell, i) => {
      if (cell.colSpan === 1 && names[i]) cell.dataset.label = names[i];
    });
  }
}

export function emptyRow(columns, text) {
  return el('tr', null, el('td', {colSpan: columns, class: 'muted empty', text}));
}

// A whole number from an <input type="number">, or undefined when it is left empty.
export function wholeNumber(input, what) {
  const text = input.value.trim();
  if (text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(t('{what} must be a whole number', {what}));
  return n;
}

const STATE_KIND = {
  healthy: 'ok', cooling: 'warn', half_open: 'warn', exhausted: 'bad', quarantined: 'bad',
};
const STATE_LABEL = {
  healthy: N_('healthy'), cooling: N_('cooling'), half_open: N_('half-open'),
  exhausted: N_('exhausted'), quarantined: N_('quarantined'), disabled: N_('disabled'),
  unhealthy: N_('unhealthy'),
};

export function fmtRate(x) {
  return `${(x * 100).toFixed(1)}%`;
}

// ---- messages -------------------------------------------------------------------------

let messageTimer = null;

export function showMessage(text, kind) {
  $('message-text').textContent = text;
  $('message').className = `notice ${kind || ''}`;
  $('message').hidden = false;
  clearTimeout(messageTimer);
  // Successes fade on their own; errors stay until read and dismissed.
  if (kind === 'success') messageTimer = setTimeout(hideMessage, 8000);
}

export function hideMessage() {
  clearTimeout(messageTimer);
  $('message').hidden = true;
  $('message-text').textContent = '';
}

// ---- form errors ----------------------------------------------------------------------

// A form's error goes where the form is, is announced (role="alert") and takes the focus:
// a failed submit never looks like nothing happened.
export function showFormError(id, text) {
  const box = $(id);
  box.textContent = text;
  box.hidden = !text;
  if (!text) return;
  box.scrollIntoView({block: 'nearest'});
  box.focus();
}

export function modelList(text) {
  return text.split(',').map((m) => m.trim()).filter((m) => m);
}

export async function copyInput(input, copied) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (e) {
    // No clipboard API outside secure contexts (plain http from another host).
    input.focus();
    input.select();
    if (!document.execCommand('copy')) {
      showMessage(t('Copying is blocked here: select the text and copy it by hand.'), 'error');
      return;
    }
  }
  if (copied) copied.hidden = false;
}

// ---- editing, in a modal dialog --------------------------------------------------------

// What each dialog edits, and the control that opened it (the focus goes back there).
export const editing = {key: null, account: null, opener: null};

export function openDialog(id, errorId, opener) {
  editing.opener = opener;
  showFormError(errorId, '');
  $(id).showModal();
}

export function closeDialog(id) {
  $(id).close();
}

export function focusButton(name) {
  const found = [...document.querySelectorAll('button[aria-label]')]
    .find((b) => b.getAttribute('aria-label') === name);
  if (found) found.focus();
}
