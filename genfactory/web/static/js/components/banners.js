/**
 * The two banners of the progress page: the connection banner (connecting, degraded,
 * reconnecting, blocked) and the job banner (completed, failed ×3, cancelled, automatic
 * retry pending). `*View` functions decide what a banner says from the state alone;
 * `renderBanner` puts a view in the DOM, rebuilding only when its shape changes so a
 * focused button keeps focus while a countdown ticks.
 *
 * Buttons carry `data-action`; the page handles clicks on the banner container.
 *
 * @module components/banners
 */

import { COPY, MODE_LABELS } from '../copy.js';
import { h, icon, setText } from '../lib/dom.js';
import { editUrl, failureKind } from '../lib/job-model.js';
import { DEFAULTS } from '../transport.js';

/**
 * @typedef {{action?: string, href?: string, label: string, kind: 'primary' | 'secondary' | 'ghost',
 *            disabled?: boolean, icon?: string, describedBy?: string}} BannerAction
 * @typedef {{kind: string, tone: 'info' | 'success' | 'warning' | 'error' | 'neutral', icon: string,
 *            title: string, lines: string[], actions: BannerAction[], role?: string,
 *            announcement?: string}} BannerView
 *
 * `announcement`: what the page's live region says once when the view first appears (a
 * banner whose line counts down is no live region itself: it would speak every second).
 */

const seconds = (msValue) => Math.max(0, Math.ceil(msValue / 1000));

/** The polling cadence's bounds in whole seconds (the page streams with transport.js's
 *  defaults): what the banner and the header say instead of the interval of the moment. */
const POLL_RANGE = Object.freeze([
  Math.max(1, Math.round(DEFAULTS.pollMinMs / 1000)), Math.max(1, Math.round(DEFAULTS.pollMaxMs / 1000)),
]);

/**
 * @param {any} ts transport state (transport.js onState) or null before the first report
 * @param {number} now epoch ms
 * @param {boolean} [finished] the job has ended: being on polling is no news then (the job
 *   banner says how it ended; the chip still shows Poll), a lost connection still is
 * @param {{streamFailed?: boolean}} [history] `streamFailed`: the push stream was blocked
 *   or lost since it last worked, so polling by choice is still "live updates unavailable";
 *   chosen over a working stream, it is only polling
 * @returns {BannerView | null}
 */
export function connectionView(ts, now, finished = false, { streamFailed = false } = {}) {
  if (!ts) {
    return { kind: 'connecting', tone: 'info', icon: 'radio', title: COPY.connecting, lines: [COPY.connectingVia('ws')], actions: [] };
  }
  const unreachable = ts.pollFailures > 0; // polling gets no answer either
  switch (ts.state) {
    case 'connecting':
      if (ts.reason === 'network-lost') {
        return {
          kind: 'reconnecting', tone: 'warning', icon: 'wifi-off', title: COPY.networkLost,
          lines: [COPY.reconnectingNow(Math.max(1, ts.attempt))], actions: [],
        };
      }
      return {
        kind: 'connecting', tone: 'info', icon: 'radio', title: COPY.connecting,
        lines: [ts.mode === 'ws' ? COPY.connectingVia('ws') : COPY.connectingNext(ts.mode)], actions: [],
      };
    case 'reconnecting': {
      const wait = seconds((ts.nextRetryAt ?? now) - now);
      const offline = ts.reason === 'offline';
      let line = unreachable ? COPY.reconnectInUnreachable(wait, ts.attempt) : COPY.reconnectIn(wait, ts.attempt);
      if (offline) line = COPY.offline; // no countdown: it waits for the network
      return {
        kind: offline ? 'offline' : 'reconnecting', tone: 'warning', icon: 'wifi-off',
        title: COPY.networkLost, lines: [line],
        // Offline, a reconnect cannot work: the button waits (disabled) for the network.
        actions: [{ action: 'reconnect', label: COPY.reconnectNow, kind: 'primary', icon: 'refresh', disabled: offline }],
      };
    }
    case 'degraded':
      if (finished) return null;
      if (ts.reason === 'manual') {
        return {
          kind: 'degraded-manual', tone: 'info', icon: 'clock',
          title: streamFailed ? COPY.degraded(...POLL_RANGE) : COPY.pollingChosen(...POLL_RANGE),
          lines: [unreachable ? COPY.serverUnreachable : COPY.manualPolling],
          actions: [{ action: 'stream', label: COPY.tryStreamAgain, kind: 'secondary', icon: 'radio' }],
        };
      }
      // Polling already runs (the automatic fallback): the line says what "Switch to
      // polling" changes, so the button does not look like it does nothing.
      return {
        kind: 'degraded-blocked', tone: 'warning', icon: 'wifi-off', title: COPY.streamBlocked,
        lines: [unreachable ? COPY.serverUnreachable : COPY.degraded(...POLL_RANGE), COPY.blockedPolling],
        actions: [
          { action: 'poll', label: COPY.switchToPolling, kind: 'secondary', icon: 'clock' },
          { action: 'stream', label: COPY.tryStreamAgain, kind: 'secondary', icon: 'radio' },
        ],
      };
    default:
      return null; // live: the header's indicator says so; closed: the page says why
  }
}

/**
 * What to do about a throttled failure: a timeout is not a rate limit (retrying soon is
 * fine), and a provider that said how long to wait is taken at its word.
 * @param {{code?: string, retry_after?: number | null} | null} error
 */
function throttleAdvice(error) {
  if (error?.code === 'timeout') return COPY.timedOutWait;
  if (error?.retry_after) return COPY.retryAfter(error.retry_after);
  return COPY.throttledWait;
}

/**
 * @param {import('../lib/job-model.js').JobModel | null} model
 * @param {number} now epoch ms
 * @returns {BannerView | null}
 */
export function jobView(model, now) {
  if (!model) return null;
  const edit = { href: editUrl(model), label: COPY.editRestart, icon: 'edit' };
  const retry = { action: 'retry', label: COPY.retryGeneration, icon: 'retry' };
  const error = model.error;
  const attempts = COPY.attemptsUsed(model.attempt, model.maxAttempts);
  switch (model.status) {
    case 'completed':
      return {
        kind: 'completed', tone: 'success', icon: 'check-circle', title: COPY.completedTitle,
        lines: [COPY.completedBody(model.imageCount)],
        actions: [{ ...edit, kind: 'secondary' }],
      };
    case 'cancelled':
      return {
        kind: 'cancelled', tone: 'neutral', icon: 'slash', title: COPY.cancelledTitle,
        lines: [COPY.cancelledBody], actions: [{ ...edit, kind: 'secondary' }],
      };
    case 'failed': {
      const reason = error?.message ? COPY.reason(error.message) : model.reason ? COPY.reason(model.reason) : '';
      switch (failureKind(model)) {
        case 'rejected':
          return {
            kind: 'failed-rejected', tone: 'error', icon: 'x-circle', title: COPY.rejected, role: 'alert',
            lines: [reason, COPY.retryable(false), COPY.rejectedWhy].filter(Boolean),
            actions: [
              { ...retry, kind: 'secondary', disabled: true },
              { ...edit, kind: 'primary' },
            ],
          };
        case 'throttled':
          return {
            kind: 'failed-throttled', tone: 'error', icon: 'clock', title: COPY.throttled, role: 'alert',
            lines: [reason, `${COPY.retryable(true)} ${attempts}`, throttleAdvice(error)],
            actions: [{ ...retry, kind: 'primary' }, { ...edit, kind: 'secondary' }],
          };
        case 'auth':
          return {
            kind: 'failed-auth', tone: 'error', icon: 'x-circle', title: COPY.authTitle, role: 'alert',
            lines: [reason, COPY.retryableAfterKey, COPY.authBody].filter(Boolean),
            actions: [
              { href: '/settings', label: COPY.openSettings, kind: 'primary' },
              { ...retry, kind: 'secondary' },
              { ...edit, kind: 'secondary' },
            ],
          };
        case 'final':
          return {
            kind: 'failed-final', tone: 'error', icon: 'x-circle', title: COPY.failedFinalTitle, role: 'alert',
            lines: [reason, COPY.retryable(false), COPY.failedFinalBody].filter(Boolean),
            actions: [{ ...retry, kind: 'secondary', disabled: true }, { ...edit, kind: 'primary' }],
          };
        default:
          return {
            kind: 'failed-retryable', tone: 'error', icon: 'alert', title: COPY.failedTitle, role: 'alert',
            lines: [reason, `${COPY.retryable(true)} ${attempts}`, COPY.failedRetryableBody].filter(Boolean),
            actions: [{ ...retry, kind: 'primary' }, { ...edit, kind: 'secondary' }],
          };
      }
    }
    case 'queued':
      if (error && model.attempt > 1) {
        const wait = model.runAfter ? seconds(model.runAfter - now) : 0;
        const title = COPY.autoRetryTitle(error.message);
        const line = COPY.autoRetryBody(model.attempt, model.maxAttempts, wait);
        return {
          kind: 'auto-retry', tone: 'warning', icon: 'clock', title, lines: [line], actions: [],
          announcement: `${title} ${line}`,
        };
      }
      return null;
    default:
      return null;
  }
}

/** @param {BannerView} view */
const shapeKey = (view) => JSON.stringify([view.kind, view.tone, view.title,
  view.lines.length, view.actions.map((a) => [a.action, a.href, a.label, a.disabled])]);

/**
 * @param {HTMLElement} el
 * @param {BannerView | null} view
 * @param {HTMLElement | null} [fallbackFocus] where the keyboard goes if the banner it was
 *   in disappears
 */
export function renderBanner(el, view, fallbackFocus = null) {
  if (!view) {
    if (!el.hidden) {
      const hadFocus = el.contains(document.activeElement);
      el.hidden = true;
      if (hadFocus) fallbackFocus?.focus();
      el.replaceChildren();
      delete el.dataset.key;
      delete el.dataset.kind;
    }
    return;
  }
  const key = shapeKey(view);
  if (el.dataset.key === key) {
    el.querySelectorAll('.banner__line').forEach((line, i) => setText(line, view.lines[i] ?? ''));
    return;
  }
  const focused = /** @type {HTMLElement | null} */ (el.contains(document.activeElement) ? document.activeElement : null);
  const focusedAction = focused?.dataset.action ?? null;
  el.dataset.key = key;
  el.dataset.kind = view.kind;
  el.className = `banner tone-${view.tone}`;
  if (view.role) el.setAttribute('role', view.role);
  else el.removeAttribute('role');
  const actions = view.actions.map((a) => {
    const content = [a.icon ? icon(a.icon) : null, a.label];
    const cls = `btn btn--${a.kind} btn--small`;
    if (a.href) return h('a', { class: cls, href: a.href, dataset: { action: a.action ?? 'link' } }, ...content);
    return h('button', {
      type: 'button', class: cls, disabled: a.disabled ?? false, dataset: { action: a.action },
    }, ...content);
  });
  el.replaceChildren(
    icon(view.icon),
    h('div', { class: 'banner__body' },
      h('p', { class: 'banner__title', text: view.title }),
      ...view.lines.map((line) => h('p', { class: 'banner__line', text: line })),
      actions.length ? h('div', { class: 'banner__actions' }, ...actions) : null),
  );
  el.hidden = false;
  if (focused) {
    // Keep the keyboard where it was: the same action, else the banner's first one.
    const same = focusedAction ? el.querySelector(`[data-action="${focusedAction}"]:not([disabled])`) : null;
    const target = /** @type {HTMLElement} */ (same ?? el.querySelector('button:not([disabled]), a') ?? el);
    target.focus();
  }
}

/** The header's short connection text ("Live · updated 3 s ago"). */
export function indicatorText(ts, now, lastUpdateAt) {
  const ago = lastUpdateAt ? COPY.updatedAgo((now - lastUpdateAt) / 1000) : '';
  if (!ts || ts.state === 'connecting') {
    return ts?.reason === 'network-lost' ? COPY.reconnectingNow(Math.max(1, ts.attempt)) : COPY.connecting;
  }
  switch (ts.state) {
    case 'live': return [COPY.live, ago].filter(Boolean).join(' · ');
    case 'degraded': return [COPY.pollingShort(...POLL_RANGE), ago].filter(Boolean).join(' · ');
    case 'reconnecting':
      if (ts.reason === 'offline') return [COPY.offlineShort, ago].filter(Boolean).join(' · ');
      return COPY.reconnectingShort(seconds((ts.nextRetryAt ?? now) - now));
    default: return COPY.notConnected;
  }
}

export const modeLabel = (ts) => MODE_LABELS[ts?.mode ?? 'ws'] ?? 'WS';
