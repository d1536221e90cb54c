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
import { createJobStream } from '../transport.js';
import { jobsApi } from './api.js';

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
