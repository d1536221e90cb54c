/**
 * The Single Job View's "Logs & timeline": the progress page's event table
 * (components/timeline.js) with the job's history (the last 200 events, and earlier pages
 * on request: "Load earlier events"), then its new events
 * live from the job's own stream — "snapshot, then subscribe after last_seq", exact and with
 * no gap. (The page's global stream carries no log events; this one carries them all.)
 *
 * @module jobs/timeline
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, replaceChildren } from '../lib/dom.js';
import { createTimeline, MAX_ROWS } from '../components/timeline.js';
import { longDay } from '../lib/format.js';
import { createJobStream } from '../transport.js';
import { jobsApi } from './api.js';

/**
 * "2026-12-07": the local day of a time ('' when it is not one).
 * @param {string} value
 */
export function localDay(value) {
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * The date each log row shows above its time of day: on the first row, and wherever the day
 * changes from the row before ("Dec 7, 2026"); '' elsewhere.
 * @param {string[]} times  the rows' ISO times, in order
 */
export function dayLabels(times) {
  let previous = '';
  return times.map((time) => {
    const day = localDay(time);
    if (!day || day === previous) return '';
    previous = day;
    return longDay(day);
  });
}

/**
 * Keep the day marks of a log body right as rows come, go and are prepended.
 * @param {HTMLElement} body
 */
function markDays(body) {
  const rows = /** @type {HTMLElement[]} */ ([...body.querySelectorAll('tr.log__row')]);
  const labels = dayLabels(rows.map((r) => r.querySelector('time')?.getAttribute('datetime') ?? ''));
  rows.forEach((row, i) => {
    const cell = row.querySelector('.log__time');
    if (!cell) return;
    let mark = cell.querySelector('.log__day');
    if (labels[i]) {
      if (!mark) {
        mark = h('span', { class: 'log__day' });
        cell.prepend(mark);
      }
      if (mark.textContent !== labels[i]) mark.textContent = labels[i];
    } else mark?.remove();
  });
}

/**
 * @param {{onEvent: (envelope: any) => void, onGone: () => void, onReset: () => void}} options
 *   onEvent: each live event (after the timeline has it); onGone: the job was deleted;
 *   onReset: the server cannot resume this stream (reload the job)
 */
export function createJobTimeline({ onEvent, onGone, onReset }) {
  const body = $(S.logBody);
  /** The job followed now ("Load earlier events" pages back through its log). */
  /** @type {string | null} */
  let followed = null;
  const timeline = createTimeline({
    table: /** @type {HTMLTableElement} */ ($(S.logTable)),
    body,
    wrap: $(S.logWrap),
    summary: $(S.logSummary),
    loadEarlier: async (after, limit) => {
      if (!followed) return [];
      return (await jobsApi.events(followed, after, limit)).events ?? [];
    },
  });
  // The shared log shows the time of day; the job view spans days (a review, a rename, a
  // run past midnight): each row where the day starts or changes carries the date too.
  new MutationObserver(() => markDays(body)).observe(body, { childList: true });
  /** @type {ReturnType<typeof createJobStream> | null} */
  let stream = null;
  let ticket = 0;

  function skeleton() {
    replaceChildren(body, h('tr', { class: 'log__skeleton' }, h('td', { colspan: '5' },
      h('span', { class: 'skeleton skeleton--line w-80' }), h('span', { class: 'skeleton skeleton--line w-60' }))));
  }

  function stop() {
    ticket += 1;
    stream?.close();
    stream = null;
  }

  return {
    /** Show the loading state (before the job's snapshot is known). */
    loading() {
      stop();
      timeline.reset();
      skeleton();
    },
    /**
     * Load the history up to the snapshot's last_seq and follow the job from there.
     * @param {string} jobId
     * @param {number} lastSeq
     */
    follow(jobId, lastSeq) {
      stop();
      const mine = ticket;
      followed = jobId;
      timeline.reset();
      skeleton();
      // Live events that arrive before the history wait in the timeline (it is held).
      stream = createJobStream({
        jobId,
        after: lastSeq,
        onEvent: (envelope) => {
          if (mine !== ticket) return;
          timeline.push(envelope);
          onEvent(envelope);
        },
        onReset: ({ code }) => {
          if (mine !== ticket) return;
          if (code === 'not_found') onGone();
          else onReset();
        },
      });
      jobsApi.events(jobId, Math.max(0, lastSeq - MAX_ROWS), MAX_ROWS).then((page) => {
        if (mine !== ticket) return;
        timeline.push(...page.events);
        timeline.release();
      }, () => {
        if (mine !== ticket) return;
        replaceChildren(body, h('tr', {}, h('td', { colspan: '5', class: 'log__message', text: T.timelineError })));
      });
    },
    /** Stop following (the modal closed, or failed to load). */
    stop() {
      stop();
      replaceChildren(body);
    },
  };
}
