/**
 * Toast notifications: short confirmations in the corner, announced politely by the
 * container's live region, gone after a few seconds (or when dismissed).
 *
 * @module components/toast
 */

import { COPY, SEL } from '../copy.js';
import { h, icon } from '../lib/dom.js';

const TONES = { info: 'info', success: 'check', warning: 'alert', error: 'alert' };

/**
 * @param {string} message
 * @param {{tone?: 'info' | 'success' | 'warning' | 'error', timeoutMs?: number}} [options]
 */
export function toast(message, { tone = 'info', timeoutMs = 4000 } = {}) {
  const container = document.querySelector(SEL.toasts);
  if (!container) return;
  const item = h('div', { class: `toast tone-${tone}` },
    icon(TONES[tone] ?? 'info'),
    h('span', { class: 'toast__text', text: message }));
  const close = h('button', {
    type: 'button', class: 'btn btn--ghost btn--small btn--icon', 'aria-label': COPY.dismiss,
    on: { click: () => item.remove() },
  }, icon('x'));
  item.append(close);
  container.append(item);
  while (container.children.length > 3) container.firstElementChild?.remove();
  window.setTimeout(() => item.remove(), timeoutMs);
}
