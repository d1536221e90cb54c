/**
 * The version history of one configuration name, newest first: each version's time, its
 * settings, and the actions "Load into form" and "Duplicate" (`data-action`, `data-version`
 * handled by the page). Marks the newest version and the one the form shows.
 *
 * @module components/config-history
 */

import { CONFIG_COPY, COPY } from '../copy.js';
import { h, icon, replaceChildren } from '../lib/dom.js';
import { longTime, timeAgo } from '../lib/format.js';
import { summarize, summarizeQc } from '../lib/config-summary.js';

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
  const item = (v) => h('li', {
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
  v.description ? h('p', { class: 'history__desc muted', text: v.description }) : null,
  h('div', { class: 'history__actions' },
    h('button', { type: 'button', class: 'btn btn--ghost btn--small', dataset: { action: 'load', version: String(v.version) }, disabled: v.version === inForm },
      icon('edit'), CONFIG_COPY.loadVersion, h('span', { class: 'visually-hidden', text: CONFIG_COPY.versionHidden(v.version) })),
    h('button', { type: 'button', class: 'btn btn--ghost btn--small', dataset: { action: 'duplicate-version', version: String(v.version) } },
      icon('copy'), CONFIG_COPY.duplicate, h('span', { class: 'visually-hidden', text: CONFIG_COPY.versionHidden(v.version) }))));
  replaceChildren(el, h('ol', { class: 'history__list', 'aria-label': CONFIG_COPY.historyTitle }, ...versions.map(item)));
}
