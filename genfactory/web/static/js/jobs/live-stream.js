/**
 * The page's live connection: the global stream (transport.js: WS → SSE → polling, exact
 * resume), its events and its notices (jobs deleted elsewhere) handed to the page together,
 * in arrival order, once per animation frame — a burst is one re-render.
 *
 * Notices have no cursor, so the transport client does not deliver them: the WebSocket and
 * EventSource it opens are the browser's own, subclassed here to pass notice frames on
 * first (`env`, the transport's documented way to supply them). Polling carries no
 * notices; the page reloads instead (pages/jobs.js).
 *
 * @module jobs/live-stream
 */

import { createJobStream } from '../transport.js';
import { parseNotice } from './live-edits.js';

/** @param {unknown} data */
function json(data) {
  if (typeof data !== 'string') return null;
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

/**
 * WebSocket and EventSource classes that also hand each notice to `onNotice`.
 * @param {(notice: import('./live-edits.js').DeletedNotice) => void} onNotice
 * @param {{WebSocket?: any, EventSource?: any}} [scope]  the browser (tests pass fakes)
 * @returns {{WebSocket?: any, EventSource?: any}}
 */
export function noticeEnv(onNotice, scope = globalThis) {
  /** @type {{WebSocket?: any, EventSource?: any}} */
  const env = {};
  const BaseSocket = scope.WebSocket;
  if (typeof BaseSocket === 'function') {
    env.WebSocket = class extends BaseSocket {
      /** @param {string} url @param {any} [protocols] */
      constructor(url, protocols) {
        super(url, protocols);
        this.addEventListener('message', (/** @type {MessageEvent} */ event) => {
          const msg = json(event.data);
          const notice = msg?.control === 'notice' ? parseNotice(msg) : null;
          if (notice) onNotice(notice);
        });
      }
    };
  }
  const BaseSource = scope.EventSource;
  if (typeof BaseSource === 'function') {
    env.EventSource = class extends BaseSource {
      /** @param {string} url @param {any} [init] */
      constructor(url, init) {
        super(url, init);
        this.addEventListener('notice', (/** @type {MessageEvent} */ event) => {
          const notice = parseNotice(json(event.data));
          if (notice) onNotice(notice);
        });
      }
    };
  }
  return env;
}

/**
 * @typedef {{event: any} | {notice: import('./live-edits.js').DeletedNotice}} LiveItem
 */

/**
 * @param {{
 *   onBatch: (items: LiveItem[]) => void,
 *   onState: (state: import('../transport.js').TransportState) => void,
 *   onReset: () => void,
 * }} options
 */
export function createLiveStream({ onBatch, onState, onReset }) {
  /** @type {LiveItem[]} */
  let queue = [];
  let frame = 0;
  let fallback = 0;

  function flush() {
    window.cancelAnimationFrame(frame);
    window.clearTimeout(fallback);
    frame = 0;
    fallback = 0;
    if (!queue.length) return;
    const batch = queue;
    queue = [];
    onBatch(batch);
  }

  /** @param {LiveItem} item */
  function push(item) {
    queue.push(item);
    if (!frame) {
      frame = window.requestAnimationFrame(flush);
      // A background tab runs no animation frames: flush anyway, a little later.
      fallback = window.setTimeout(flush, 250);
    }
  }

  const stream = createJobStream({
    global: true,
    env: noticeEnv((notice) => push({ notice })),
    onEvent: (envelope) => push({ event: envelope }),
    onState,
    onReset: (info) => {
      onReset();
      return info.lastSeq ?? undefined; // resume from the server's newest event
    },
  });
  window.addEventListener('pagehide', () => stream.close());
  return stream;
}
