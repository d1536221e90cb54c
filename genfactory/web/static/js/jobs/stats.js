/**
 * The statistics bar: five cards (Total with its trend, Completed with the success rate,
 * Failed with the failure rate, Running, Pending with the queue), each a toggle button that
 * filters the table by its status. Values come from GET /api/jobs/stats.
 *
 * @module jobs/stats
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, setText } from '../lib/dom.js';
import { ratePercent } from './format.js';

export const CARDS = Object.freeze(['total', 'completed', 'failed', 'running', 'pending']);

/**
 * The status filter each card stands for ([] = every status).
 * @type {Readonly<Record<string, string[]>>}
 */
export const CARD_FILTER = Object.freeze({ total: [], completed: ['completed'], failed: ['failed'], running: ['running'], pending: ['pending'] });

/**
 * The status filter a click on a card asks for: its own, or none when it was pressed already.
 * @param {string} key
 * @param {boolean} pressed
 */
export function cardClick(key, pressed) {
  return pressed ? [] : [...CARD_FILTER[key]];
}

/**
 * What a card's small line says.
 * @param {string} key
 * @param {any} stats JobStats
 */
export function cardDetail(key, stats) {
  switch (key) {
    case 'total': {
      const trend = stats.total.trend;
      const basis = T.trendBasis[trend.basis] ?? T.trendBasis.range;
      // Stopped jobs have no card of their own: the total says how many, so the cards add up.
      const note = stats.cancelled?.count ? T.stoppedCount(stats.cancelled.count) : '';
      if (!trend.change) return { text: T.trendFlat(basis), tone: 'flat', note };
      const pct = trend.change_percent === null ? null : Math.round(trend.change_percent);
      return trend.change > 0
        ? { text: T.trendUp(trend.change, pct, basis), tone: 'up', note }
        : { text: T.trendDown(trend.change, pct, basis), tone: 'down', note };
    }
    case 'completed': {
      const rate = ratePercent(stats.completed.rate);
      return { text: rate === null ? T.noneFinished : T.successRate(rate), tone: '' };
    }
    case 'failed': {
      const rate = ratePercent(stats.failed.rate);
      return { text: rate === null ? T.noneFinished : T.failureRate(rate), tone: '' };
    }
    case 'running':
      return { text: T.runningNow(stats.running.count), tone: '' };
    case 'pending':
      return { text: T.queueStatus(stats.pending.runnable ?? 0, stats.pending.waiting ?? 0), tone: '' };
    default:
      return { text: '', tone: '' };
  }
}

/**
 * @param {{onFilter: (statuses: string[]) => void, onRetry: () => void}} options
 */
export function createStats({ onFilter, onRetry }) {
  const list = $(S.stats);
  const error = $(S.statsError);
  const scope = $(S.statsScope);
  /** @type {any} */
  let last = null;
  /** The last request failed (its callout shows unless the page's outage callout does). */
  let failed = false;
  let quiet = false;

  for (const key of CARDS) {
    // A pressed card pressed again releases its filter (every status: the Total card's).
    const card = $(S.statCard(key));
    card.addEventListener('click', () => onFilter(cardClick(key, card.getAttribute('aria-pressed') === 'true')));
  }
  $(S.statsRetry).addEventListener('click', onRetry);

  return {
    /** @param {any} stats JobStats */
    render(stats) {
      last = stats;
      failed = false;
      error.hidden = true;
      list.setAttribute('aria-busy', 'false');
      for (const key of CARDS) {
        const value = $(S.statValue(key));
        setText(value, Number(stats[key].count).toLocaleString('en-US'));
        const detail = cardDetail(key, stats);
        const el = $(S.statDetail(key));
        setText(el, detail.text);
        el.dataset.tone = detail.tone;
        if (detail.note) el.append(h('span', { class: 'stat__note', text: detail.note }));
      }
    },
    /** @param {{stale?: boolean}} [opts] stale: the numbers shown are for another filter */
    showError({ stale = false } = {}) {
      failed = true;
      list.setAttribute('aria-busy', 'false');
      error.hidden = quiet;
      if (stale) last = null; // never one filter's numbers under another's caption
      if (!last) {
        for (const key of CARDS) {
          setText($(S.statValue(key)), '—');
          setText($(S.statDetail(key)), '');
        }
      }
    },
    /**
     * Whether the page's own callout says the server is unavailable: the statistics then add
     * no callout of their own (one cause, one message); without it, their failure shows.
     * @param {boolean} on
     */
    setQuiet(on) {
      quiet = on;
      error.hidden = !failed || quiet;
    },
    /**
     * Asking again after a failure: its callout goes until the answer (or a new failure);
     * not from under the focus (its own "Try again").
     */
    retrying() {
      if (!failed || error.contains(document.activeElement)) return;
      failed = false;
      error.hidden = true;
    },
    /** Whether the last request for the numbers failed. */
    get failed() { return failed; },
    /**
     * Which card matches the table's status filter (aria-pressed), and whether the numbers
     * are narrowed by other filters.
     * @param {string[]} statuses  the status filter keys
     * @param {boolean} scoped
     */
    setActive(statuses, scoped) {
      const key = [...statuses].sort().join(',');
      for (const card of CARDS) {
        const on = [...CARD_FILTER[card]].sort().join(',') === key;
        $(S.statCard(card)).setAttribute('aria-pressed', on ? 'true' : 'false');
      }
      scope.hidden = !scoped;
    },
    get value() { return last; },
  };
}
