/**
 * The list of configurations (newest version of each): a table with name, version,
 * provider, size, steps, style, count, jobs using it, when its newest version was saved,
 * and the row's actions;
 * or the empty state. Buttons carry `data-action` and `data-name`; the page handles clicks
 * on the list container.
 *
 * @module components/config-list
 */

import { CONFIG_COPY, COPY } from '../copy.js';
import { h, icon, replaceChildren } from '../lib/dom.js';
import { longTime, timeAgo } from '../lib/format.js';
import { providerTitle, sizeLabel, styleLabel } from '../lib/config-summary.js';
import { startJobUrl } from '../lib/configurations-api.js';

const SVG = 'http://www.w3.org/2000/svg';

/** An icon drawn from path data (for the few the shared sprite lacks). */
export function pathIcon(...paths) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of paths) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

export const plusIcon = () => pathIcon('M12 5v14', 'M5 12h14');
const trashIcon = () => pathIcon('M3 6h18', 'M8 6V4h8v2', 'M19 6l-1 14H6L5 6', 'M10 11v6', 'M14 11v6');
const duplicateIcon = () => icon('copy');

const hidden = (text) => h('span', { class: 'visually-hidden', text });
const orDefault = (value, show = String) => (value === undefined || value === null || value === ''
  ? h('span', { class: 'muted', text: CONFIG_COPY.defaultValue })
  : show(value));

/**
 * @param {HTMLElement} el the list container
 * @param {any[]} items ConfigurationPublic[] (newest version of each, with `jobs`)
 * @param {any[]} providers ProviderPublic[] (for titles; may be empty)
 * @param {{highlight?: string | null}} [options]
 */
export function renderList(el, items, providers, { highlight = null } = {}) {
  el.setAttribute('aria-busy', 'false');
  if (!items.length) {
    replaceChildren(el, h('div', { class: 'empty-state' },
      h('p', { class: 'empty-state__title', text: CONFIG_COPY.listEmpty }),
      h('p', { class: 'muted', text: CONFIG_COPY.listEmptyHelp }),
      h('button', { type: 'button', class: 'btn btn--primary', dataset: { action: 'new' } }, plusIcon(), CONFIG_COPY.createFirst)));
    return;
  }
  const now = Date.now();
  const head = CONFIG_COPY.columns;
  // Each value's column name, shown above it where the rows are cards (narrow screens).
  const cell = (label, attrs, ...children) => h('td', { ...attrs, dataset: { label } }, ...children);
  const row = (item) => {
    const s = item.settings ?? {};
    const name = item.name;
    return h('tr', { dataset: { name }, class: name === highlight ? 'is-highlighted' : null },
      h('th', { scope: 'row', class: 'config-table__name' },
        h('span', { class: 'config-table__title', text: name, title: name }),
        item.description ? h('span', { class: 'config-table__desc muted', text: item.description }) : null),
      cell(head[1], {}, h('span', { class: 'chip', text: CONFIG_COPY.version(item.version) })),
      cell(head[2], { class: 'config-table__provider', title: providers.find((p) => p.name === s.provider)?.title ?? null },
        providerTitle(s.provider, providers)),
      cell(head[3], { class: 'nowrap' }, orDefault(s.size, sizeLabel)),
      cell(head[4], { class: 'num' }, orDefault(s.steps)),
      cell(head[5], { class: 'config-table__style' }, s.style ? styleLabel(s.style) : h('span', { class: 'muted', text: COPY.styleNone })),
      cell(head[6], { class: 'num' }, orDefault(s.count)),
      cell(head[7], { class: 'num' }, item.jobs ? String(item.jobs) : h('span', { class: 'muted', text: '0' })),
      cell(head[8], { class: 'nowrap' }, h('time', { datetime: item.created_at, title: longTime(item.created_at), text: timeAgo(item.created_at, now) })),
      h('td', { class: 'config-table__actions' },
        h('div', { class: 'row-actions' },
          h('a', { class: 'btn btn--ghost btn--small', href: startJobUrl(name) },
            icon('spark'), CONFIG_COPY.startJob, hidden(CONFIG_COPY.startJobFor(name))),
          h('button', { type: 'button', class: 'btn btn--secondary btn--small', dataset: { action: 'edit', name } },
            icon('edit'), CONFIG_COPY.edit, hidden(CONFIG_COPY.forName(name))),
          h('button', { type: 'button', class: 'btn btn--ghost btn--small', dataset: { action: 'duplicate', name } },
            duplicateIcon(), CONFIG_COPY.duplicate, hidden(CONFIG_COPY.forName(name))),
          h('button', { type: 'button', class: 'btn btn--ghost btn--small btn--danger-text', dataset: { action: 'delete', name } },
            trashIcon(), CONFIG_COPY.delete, hidden(CONFIG_COPY.forName(name))))));
  };
  replaceChildren(el, h('div', { class: 'table-wrap' },
    h('table', { class: 'config-table' },
      h('caption', { class: 'visually-hidden', text: 'Saved configurations, newest version of each' }),
      h('thead', {}, h('tr', {}, ...head.map((label, i) => h('th', {
        scope: 'col', class: ['Steps', 'Count', 'Jobs'].includes(label) ? 'num' : null,
      }, i === head.length - 1 ? hidden(label) : label)))),
      h('tbody', {}, ...items.map(row)))));
}

/**
 * @param {HTMLElement} el
 * @param {{retry: boolean, detail?: string}} options `retry: false` when the page's "Server
 *   unavailable" callout already offers it; `detail`: what went wrong (a server error)
 */
export function renderListError(el, { retry, detail = '' }) {
  el.setAttribute('aria-busy', 'false');
  replaceChildren(el, h('div', { class: 'empty-state' },
    h('p', { class: 'empty-state__title', text: CONFIG_COPY.listError }),
    detail ? h('p', { class: 'muted', text: detail }) : null,
    retry ? h('button', { type: 'button', class: 'btn btn--secondary', dataset: { action: 'reload' } }, icon('refresh'), COPY.tryAgain) : null));
}
