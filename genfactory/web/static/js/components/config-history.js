/**
 * The version history of one configuration name, newest first: each version's time, its
 * settings, what changed from the version before ("Changed: steps 5 → 7, description"; every
 * setting, also those the summary leaves out), its description (a long one clamped, with
 * "Show more"), and the actions "Load into form" and "Duplicate" (`data-action`, `data-version`
 * handled by the page). Marks the newest version and the one the form shows.
 *
 * @module components/config-history
 */

import { CONFIG_COPY, COPY } from '../copy.js';
import { h, icon, replaceChildren } from '../lib/dom.js';
import { longTime, timeAgo } from '../lib/format.js';
import { summarize, summarizeQc, versionChanges } from '../lib/config-summary.js';

/** Longer than this (or more than three lines), a description starts clamped. */
const DESCRIPTION_CLAMP = 240;

/**
 * A version's description; a long one clamped to three lines with a "Show more" toggle.
 * @param {string} text
 * @param {string} id for aria-controls
 */
function description(text, id) {
  const long = text.length > DESCRIPTION_CLAMP || text.split('\n').length > 3;
  const body = h('p', { id, class: `history__desc muted${long ? ' is-clamped' : ''}`, text });
  if (!long) return body;
  const toggle = h('button', {
    type: 'button', class: 'btn btn--ghost btn--small history__more', 'aria-expanded': 'false', 'aria-controls': id,
    text: CONFIG_COPY.showMore,
  });
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    body.classList.toggle('is-clamped', !open);
    toggle.textContent = open ? CONFIG_COPY.showLess : CONFIG_COPY.showMore;
  });
  return h('div', { class: 'history__desc-wrap' }, body, toggle);
}

/**
 * @param {HTMLElement} el
 * @param {{state: 'new' | 'loading' | 'error' | 'ready', versions?: any[], inForm?: number | null,
 *          providers?: any[]}} view
 */
export function renderHistory(el, { state, versions = [], inForm = null, providers = [] }) {
  el.setAttribute('aria-busy', String(state === 'loading'));
  if (state === 'new') {
    replaceChildren(el, h('p', { class: 'muted', text: CONFIG_COPY.historyNew }));
    return;
  }
  if (state === 'loading') {
    replaceChildren(el, ...[80, 60, 80, 60].map((w) => h('span', { class: `skeleton skeleton--line w-${w}` })));
    return;
  }
  if (state === 'error') {
    replaceChildren(el, h('p', { class: 'muted', text: CONFIG_COPY.historyError }),
      h('button', { type: 'button', class: 'btn btn--secondary btn--small', dataset: { action: 'reload-history' } }, icon('refresh'), COPY.tryAgain));
    return;
  }
  const now = Date.now();
  const newest = versions[0]?.version ?? null;
  /** "Changed: …" from the version listed after it (the one before); none for the first. */
  const changes = (v, i) => {
    const previous = versions[i + 1];
    if (!previous || previous.version !== v.version - 1) return null;
    const list = versionChanges(previous, v, providers);
    return h('p', { class: 'history__changes', text: list.length ? CONFIG_COPY.changed(list) : CONFIG_COPY.unchangedFromPrevious });
  };
  const item = (v, i) => h('li', {
    class: `history__item${v.version === inForm ? ' is-current' : ''}`,
    'aria-current': v.version === inForm ? 'true' : null,
    dataset: { version: String(v.version) },
  },
  h('div', { class: 'history__head' },
    h('span', { class: 'history__version', text: CONFIG_COPY.versionLong(v.version) }),
    v.version === newest ? h('span', { class: 'tag', text: CONFIG_COPY.newest }) : null,
    v.version === inForm ? h('span', { class: 'tag tag--accent', text: CONFIG_COPY.inForm }) : null,
    h('time', { class: 'history__time muted', datetime: v.created_at, title: longTime(v.created_at), text: timeAgo(v.created_at, now) })),
  h('p', { class: 'history__summary', text: summarize(v.settings, providers).join(' · ') }),
  h('p', { class: 'history__qc muted', text: summarizeQc(v.settings) }),
  changes(v, i),
  v.description ? description(v.description, `history-desc-${v.version}`) : null,
  h('div', { class: 'history__actions' },
    h('button', { type: 'button', class: 'btn btn--ghost btn--small', dataset: { action: 'load', version: String(v.version) }, disabled: v.version === inForm },
      icon('edit'), CONFIG_COPY.loadVersion, h('span', { class: 'visually-hidden', text: CONFIG_COPY.versionHidden(v.version) })),
    h('button', { type: 'button', class: 'btn btn--ghost btn--small', dataset: { action: 'duplicate-version', version: String(v.version) } },
      icon('copy'), CONFIG_COPY.duplicate, h('span', { class: 'visually-hidden', text: CONFIG_COPY.versionHidden(v.version) }))));
  replaceChildren(el, h('ol', { class: 'history__list', 'aria-label': CONFIG_COPY.historyTitle }, ...versions.map(item)));
}
