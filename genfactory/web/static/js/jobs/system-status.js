/**
 * The header's system status: the server and its workers (GET /api/health, every 15 s),
 * and the live-updates connection (the global event stream's mode).
 *
 * @module jobs/system-status
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, setText } from '../lib/dom.js';
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

  async function check() {
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
    root.title = T.systemTitle(view.text, new Date().toLocaleTimeString());
    if (view.state !== last) {
      last = view.state;
      if (onChange) onChange(view.state);
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
    },
    stop() { window.clearTimeout(timer); },
  };
}
