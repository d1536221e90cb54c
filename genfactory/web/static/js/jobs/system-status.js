/**
 * The header's system status: the server and its workers (GET /api/health, every 15 s, and
 * at once when the live stream drops or comes back, or a request fails), and the
 * live-updates connection (the global event stream's mode).
 *
 * @module jobs/system-status
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, setText } from '../lib/dom.js';
import { timeOfDay } from '../lib/format.js';
import { jobsApi } from './api.js';

export const HEALTH_INTERVAL_MS = 15000;

/**
 * What a health answer means for the indicator.
 * @param {any | null} health  null when the server did not answer
 * @returns {{state: 'ok' | 'degraded' | 'down', text: string}}
 */
export function describeHealth(health) {
  if (!health) return { state: 'down', text: T.systemDown };
  if (!health.database) return { state: 'down', text: T.systemDbDown };
  const workers = health.workers ?? {};
  const slots = Number(workers.live_slots ?? 0);
  if (health.status !== 'ok' || slots === 0) return { state: 'degraded', text: T.systemNoWorkers };
  return { state: 'ok', text: T.systemOk(slots, Number(workers.local?.busy ?? 0)) };
}

/**
 * @param {{onChange?: (state: string) => void}} [options]
 */
export function createSystemStatus({ onChange } = {}) {
  const root = $(S.systemStatus);
  const text = $(S.systemText);
  const live = $(S.liveStatus);
  let timer = 0;
  let last = '';
  let checking = false;
  /** A check was asked for while one was under way: its answer may predate the news. */
  let again = false;
  /** The live stream was up and dropped: check again when it is back. */
  let dropped = false;

  async function check() {
    if (checking) {
      again = true;
      return null;
    }
    checking = true;
    window.clearTimeout(timer);
    let health = null;
    try {
      health = await jobsApi.health();
    } catch {
      health = null;
    }
    const view = describeHealth(health);
    root.dataset.state = view.state;
    setText(text, view.text);
    root.title = T.systemTitle(view.text, timeOfDay(new Date()));
    if (view.state !== last) {
      last = view.state;
      if (onChange) onChange(view.state);
    }
    checking = false;
    if (again) {
      again = false;
      return check();
    }
    timer = window.setTimeout(check, HEALTH_INTERVAL_MS);
    return view;
  }

  return {
    start: check,
    check,
    /** @param {import('../transport.js').TransportState} state */
    live(state) {
      let label = T.liveConnecting;
      let tone = 'connecting';
      if (state.state === 'live') {
        label = T.liveModes[state.mode] ?? T.liveModes.ws;
        tone = 'live';
      } else if (state.state === 'degraded') {
        label = T.liveModes.poll;
        tone = 'live';
      } else if (state.state === 'reconnecting') {
        label = T.liveLost;
        tone = 'reconnecting';
      } else if (state.state === 'closed') {
        label = T.liveClosed;
        tone = 'closed';
      }
      live.dataset.state = tone;
      setText(live, label);
      // The stream is the first to know the server went or came back: the indicator should
      // not say "System OK" next to "interrupted" (or "unreachable" next to "Live").
      if (tone === 'live' && dropped) {
        dropped = false;
        check();
      } else if (tone === 'reconnecting' && !dropped) {
        dropped = true;
        check();
      }
    },
    stop() { window.clearTimeout(timer); },
  };
}
