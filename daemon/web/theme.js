// The colour theme.
import {$} from './base.js';
import {N_, t} from './i18n.js';
import {charts, drawCharts} from './charts.js';

const THEME_STORAGE = 'amq2api.theme';  // localStorage: display choices, never a secret

// auto follows the system's prefers-color-scheme, also when it changes; dark and light
// are the user's choice, kept for the next visit.
const THEMES = ['auto', 'dark', 'light'];
const THEME_LABEL = {auto: N_('auto'), dark: N_('dark'), light: N_('light')};
export const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

function themeChoice() {
  const stored = localStorage.getItem(THEME_STORAGE);
  return THEMES.includes(stored) ? stored : 'auto';
}

export function applyTheme() {
  const choice = themeChoice();
  const dark = choice === 'dark' || (choice === 'auto' && darkQuery.matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  if (charts.series) drawCharts();
  const label = t(THEME_LABEL[choice]);
  $('theme-toggle').textContent = t('Theme: {choice}', {choice: label});
  $('theme-toggle').setAttribute('aria-label', choice === 'auto'
    ? t('Colour theme: auto (now {mode}). Change it', {mode: t(dark ? 'dark' : 'light')})
    : t('Colour theme: {choice}. Change it', {choice: label}));
}

export function cycleTheme() {
  const next = THEMES[(THEMES.indexOf(themeChoice()) + 1) % THEMES.length];
  if (next === 'auto') localStorage.removeItem(THEME_STORAGE);
  else localStorage.setItem(THEME_STORAGE, next);
  applyTheme();
}
