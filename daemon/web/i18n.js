// The page's language. Texts are written in English and looked up in the chosen language's
// dictionary, keyed by the English text (dashboard-zh-CN.js).
import {$, L} from './base.js';

export const LANGUAGE_STORAGE = 'amq2api.language';

// Texts are written in English and looked up in the chosen language's dictionary, keyed
// by the English text (dashboard-zh-CN.js). N_ marks a text translated later, when shown.
const DICTIONARIES = {en: null, 'zh-CN': window.amqDashboardZhCN};
export const N_ = (text) => text;
export let language = 'en';
export let t = L.translator(null);

// The page's own texts (text nodes and labelling attributes) as written in English, so a
// switch back and forth always starts from the original.
const TEXT_ATTRIBUTES = ['aria-label', 'placeholder', 'title'];
const UNTRANSLATED = 'script, style, code, [translate="no"]';  // code, addresses, names
const pageTexts = [];

export function collectPageTexts() {
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = L.normalText(node.nodeValue);
    if (/[A-Za-z]/.test(text) && !node.parentElement.closest(UNTRANSLATED)) {
      pageTexts.push({node, english: text, spaced: node.nodeValue});
    }
  }
  for (const attribute of TEXT_ATTRIBUTES) {
    for (const element of document.querySelectorAll(`[${attribute}]`)) {
      if (element.closest('[translate="no"]')) continue;
      pageTexts.push({element, attribute, english: element.getAttribute(attribute)});
    }
  }
}

function translatePage() {
  for (const entry of pageTexts) {
    const text = t(entry.english);
    if (entry.attribute) {
      entry.element.setAttribute(entry.attribute, text);
    } else {
      // The markup's spaces around the text stay: they separate it from its neighbours.
      const [, before, , after] = entry.spaced.match(/^(\s*)([\s\S]*?)(\s*)$/);
      entry.node.nodeValue = before + text + after;
    }
  }
}

export function applyLanguage() {
  language = L.pickLanguage(localStorage.getItem(LANGUAGE_STORAGE), navigator.languages);
  t = L.translator(DICTIONARIES[language]);
  document.documentElement.lang = language;
  $('language').value = language;
  translatePage();
}
