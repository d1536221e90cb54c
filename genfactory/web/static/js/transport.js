/**
 * The live transport client: one job's event stream (or the global stream of all jobs)
 * over WebSocket, then Server-Sent Events, then polling, with exact resume by cursor.
 *
 * Wire contract: docs/streams.md. How a page uses this module: docs/transport-client.md.
 *
 * Why the client manages every reconnection itself (instead of letting EventSource
 * reconnect on its own): the cursor it resumes from and the mode it reports to the page
 * must always be the ones it actually uses, on every transport.
 *
 * @module transport
 */

import { signInAgain } from './lib/api.js';

/** Timing defaults, in milliseconds unless the name says otherwise. */
export const DEFAULTS = Object.freeze({
  /** A WebSocket must say `hello` within this time, or it counts as blocked. */
  helloTimeoutMs: 4000,
  /** An EventSource must fire `open` within this time, or it counts as blocked. */
  sseOpenTimeoutMs: 4000,
  /** WS sends a ping every 15 s when idle; this much silence means a dead socket. */
  wsIdleTimeoutMs: 45000,
  /** SSE keep-alive comments are invisible to EventSource, so a quiet stream is re-opened. */
  sseIdleTimeoutMs: 60000,
  backoffBaseMs: 1000,
  backoffCapMs: 30000,
  /** Each back-off delay is multiplied by a random factor in [1 - jitter, 1 + jitter). */
  backoffJitter: 0.2,
  pollMinMs: 2000,
  pollMaxMs: 12000,
  pollFactor: 1.5,
  /** Long-poll `wait` in seconds; 0 keeps the spec's polling cadence exact. */
  pollWaitS: 0,
  pollLimit: 500,
  /** Delay before asking again for a gap the server did not fill. */
  fillRetryMs: 1000,
});

/** WebSocket close codes the server uses after a `reset` frame. */
const RESET_CLOSE_CODES = Object.freeze({ 4404: 'not_found', 4409: 'cursor_ahead' });

/**
 * @typedef {'ws' | 'sse' | 'poll'} TransportMode
 * @typedef {'connecting' | 'live' | 'degraded' | 'reconnecting' | 'closed'} TransportStateName
 * @typedef {'network-lost' | 'offline' | 'blocked' | 'manual' | 'reset' | null} TransportReason
 *
 * @typedef {object} TransportState
 * @property {TransportMode} mode  transport in use or being opened ('poll' while only polling delivers)
 * @property {TransportStateName} state
 * @property {TransportReason} reason  why the stream is in this state
 * @property {number | null} pollInterval  ms until the next poll while polling runs, else null
 * @property {number} pollFailures  polls in a row that got no answer (0 while they answer, or
 *   while not polling): with push down too, nothing reaches the page
 * @property {number | null} nextRetryAt  epoch ms of the next automatic reconnect, when reconnecting
 * @property {number | null} retryInMs  the delay that was scheduled for that reconnect
 * @property {number} attempt  reconnect attempt number (0 while live or never dropped)
 * @property {number | null} lastEventAt  epoch ms when the last event was delivered
 * @property {number | null} cursor  last delivered `seq` (per-job) or `id` (global)
 * @property {string | null} resetCode  'not_found' | 'cursor_ahead' | … after a reset
 *
 * @typedef {object} ResetInfo
 * @property {string} code  'not_found' or 'cursor_ahead' (docs/streams.md)
 * @property {string} message
 * @property {number | null} lastSeq  the server's last seq (or last id), when it said
 * @property {number | null} cursor  the client's last delivered cursor
 *
 * @typedef {object} StreamUrls
 * @property {(after: number | null) => string} ws
 * @property {(after: number | null) => string} sse
 * @property {(after: number | null, q: {limit: number, wait: number}) => string} poll
 *
 * @typedef {object} TransportEnv  everything the client takes from the browser; tests pass fakes
 * @property {typeof WebSocket | null} [WebSocket]
 * @property {typeof EventSource | null} [EventSource]
 * @property {typeof fetch} [fetch]
 * @property {(fn: () => void, ms: number) => any} [setTimeout]
 * @property {(handle: any) => void} [clearTimeout]
 * @property {() => number} [random]  like Math.random
 * @property {() => number} [now]  like Date.now
 * @property {{protocol: string, host: string}} [location]  for the ws:/wss: address
 * @property {typeof AbortController | null} [AbortController]
 * @property {EventTarget | null} [network]  fires `offline` and `online` (default: window)
 * @property {() => void} [onUnauthorized]  a poll answered 401 (default: go to /login)
 *
 * @typedef {object} JobStreamOptions
 * @property {string} [jobId]  per-job stream (cursor = seq); omit with `global: true`
 * @property {boolean} [global]  the global stream of all jobs (cursor = envelope id)
 * @property {number | null} [after]  snapshot's last_seq; per-job default 0, global default "from now"
 * @property {(envelope: object) => void} [onEvent]  each event once, in cursor order
 * @property {(state: TransportState) => void} [onState]
 * @property {(info: ResetInfo) => (number | void | Promise<number | void>)} [onReset]
 *   reload the snapshot; return (or resolve to) its last_seq to resume from it
 * @property {() => void} [onAnswer]  a poll was answered (with or without events): the page's
 *   data is current as of now ("updated N s ago" while polling)
 * @property {(error: unknown) => void} [onError]  errors thrown by the callbacks above
 * @property {string} [basePath]  '' = same origin; may be an absolute http(s) URL
 * @property {StreamUrls} [urls]  override the addresses entirely
 * @property {Array<'ws' | 'sse'>} [pushTransports]  push transports in preference order
 * @property {Record<string, string>} [headers]  extra headers for polling requests
 * @property {boolean} [autoStart]  default true; false = call start() yourself
 * @property {number} [helloTimeoutMs]  …and every other key of DEFAULTS, to override it
 * @property {TransportEnv} [env]
 */

/**
 * Exponential back-off with bounded jitter: base·2^(attempt-1), capped, times a random
 * factor in [1 - jitter, 1 + jitter), never above the cap.
 * @param {number} attempt  1 for the first retry
 * @param {{base?: number, cap?: number, jitter?: number, random?: () => number}} [opts]
 * @returns {number} delay in ms
 */
export function backoffDelay(attempt, opts = {}) {
  const { base = DEFAULTS.backoffBaseMs, cap = DEFAULTS.backoffCapMs } = opts;
  const { jitter = DEFAULTS.backoffJitter, random = Math.random } = opts;
  const n = Math.max(1, Math.floor(attempt) || 1);
  const raw = Math.min(cap, base * 2 ** (n - 1));
  return Math.round(Math.min(cap, raw * (1 - jitter + 2 * jitter * random())));
}

/**
 * The spec's polling cadence: back to the minimum when a poll brought new events,
 * otherwise grow by `factor` up to `max`.
 * @param {number | null} current  the interval used so far (ms)
 * @param {boolean} gotEvents
 * @param {{min?: number, max?: number, factor?: number}} [opts]
 * @returns {number} next interval in ms
 */
export function nextPollInterval(current, gotEvents, opts = {}) {
  const { min = DEFAULTS.pollMinMs, max = DEFAULTS.pollMaxMs, factor = DEFAULTS.pollFactor } = opts;
  if (gotEvents || !(Number(current) > 0)) return min;
  return Math.min(max, Math.max(min, Math.round(Number(current) * factor)));
}

/**
 * The three addresses of a stream (docs/streams.md), built from a base path.
 * @param {{jobId?: string, global?: boolean, basePath?: string,
 *          location?: {protocol: string, host: string}}} opts
 * @returns {StreamUrls}
 */
export function buildStreamUrls({ jobId, global = false, basePath = '', location } = {}) {
  const base = String(basePath).replace(/\/+$/, '');
  const path = global ? '/api/events' : `/api/jobs/${encodeURIComponent(String(jobId))}/events`;
  const wsBase = () => {
    if (/^https?:\/\//i.test(base)) return base.replace(/^http/i, 'ws');
    const loc = location ?? globalThis.location;
    if (!loc) throw new Error('transport: no location to build the WebSocket address from');
    return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${base}`;
  };
  return {
    ws: (after) => `${wsBase()}${path}/ws${query({ after })}`,
    sse: (after) => `${base}${path}/stream${query({ after })}`,
    poll: (after, { limit, wait }) => `${base}${path}${query({ after, limit, wait })}`,
  };
}

/** @param {Record<string, number | null | undefined>} params */
function query(params) {
  const parts = Object.entries(params)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** @param {unknown} value */
const finite = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** A cursor the page hands over: a number, or a numeric string read from the DOM. */
const toCursor = (value) => (value === null || value === undefined || value === '' ? null : finite(Number(value)));

/**
 * @typedef {object} JobStream
 * @property {() => void} start  only needed with `autoStart: false`
 * @property {(mode: TransportMode) => void} switchTo  force a transport ('poll' = stay on polling)
 * @property {() => void} reconnect  cancel any countdown; try WS → SSE now
 * @property {(after?: number) => void} resume  restart after a reset, from the new snapshot's last_seq
 * @property {() => void} close
 * @property {() => TransportState} getState
 */

/**
 * Open a live event stream that falls back WS → SSE → polling and never delivers an
 * event twice or out of order.
 * @param {JobStreamOptions} options
 * @returns {JobStream}
 */
export function createJobStream(options) {
  const isGlobal = Boolean(options.global);
  if (!isGlobal && !options.jobId) throw new TypeError('createJobStream: jobId or global: true is required');
  /** @type {typeof DEFAULTS & {headers?: Record<string, string>}} */
  const cfg = { ...DEFAULTS, headers: options.headers };
  for (const key of Object.keys(DEFAULTS)) if (options[key] !== undefined) cfg[key] = options[key];
  const env = options.env ?? {};
  const pick = (name) => (name in env ? env[name] : globalThis[name]) ?? null;
  const WS = pick('WebSocket');
  const ES = pick('EventSource');
  const Abort = pick('AbortController');
  const network = 'network' in env ? env.network : globalThis.window ?? null;
  const fetchFn = env.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const setTimer = env.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const clearTimer = env.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle));
  const random = env.random ?? Math.random;
  /** The server wants its API token and this browser's is gone: to the sign-in page. */
  const unauthorized = env.onUnauthorized ?? signInAgain;
  const now = env.now ?? Date.now;
  const urls = options.urls
    ?? buildStreamUrls({ jobId: options.jobId, global: isGlobal, basePath: options.basePath, location: env.location });
  const wanted = options.pushTransports ?? ['ws', 'sse'];
  const pushOrder = wanted.filter((t) => (t === 'ws' ? WS : t === 'sse' ? ES : null));

  /** @type {number | null} */
  let cursor = toCursor(options.after) ?? (isGlobal ? null : 0);
  /** Per-job events that arrived ahead of a gap, by seq, until the gap is filled. */
  const pending = new Map();
  let lastEventAt = null;

  /** @type {TransportMode} */ let mode = pushOrder[0] ?? 'poll';
  /** @type {TransportStateName} */ let state = 'connecting';
  /** @type {TransportReason} */ let reason = null;
  let attempt = 0;
  let nextRetryAt = null;
  let retryInMs = null;
  let resetCode = null;
  let started = false;
  let stopped = false; // after close() or a reset, until resume()
  let epoch = 0; // bumped by close/reset/resume so late callbacks can tell
  let everLive = false; // once a push transport worked, failures mean "network lost"
  let preferred = pushOrder[0] ?? null;
  let offline = false; // the browser fired `offline`, and no `online` since
  let manualBeforeOffline = false; // back to the person's choice of polling once online
  let lastEmitted = '';

  /** The push connection being opened or in use: {transport, purpose, live, socket, timer}. */
  let conn = null;
  /** Push transports still to try in the current connect attempt. */
  let rungs = [];
  const timers = { reconnect: null, poll: null, fill: null };
  const poll = { active: false, interval: null, token: 0, abort: null, failures: 0 };
  let fillBusy = false;
  let fillToken = 0;

  // ---- callbacks and state ---------------------------------------------------------

  function report(error) {
    if (typeof options.onError === 'function') {
      try { options.onError(error); } catch { /* nothing left to tell */ }
    } else if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
    else console.error(error);
  }

  function call(fn, arg) {
    if (typeof fn !== 'function') return undefined;
    try { return fn(arg); } catch (error) { report(error); return undefined; }
  }

  /** @returns {TransportState} */
  function getState() {
    return {
      mode, state, reason,
      pollInterval: poll.active ? poll.interval ?? cfg.pollMinMs : null,
      pollFailures: poll.active ? poll.failures : 0,
      nextRetryAt, retryInMs, attempt, lastEventAt, cursor, resetCode,
    };
  }

  function emit() {
    const snapshot = getState();
    // Delivering an event moves cursor and lastEventAt; that alone is not a new state.
    const key = JSON.stringify({ ...snapshot, lastEventAt: null, cursor: null });
    if (key === lastEmitted) return;
    lastEmitted = key;
    call(options.onState, snapshot);
  }

  function arm(name, ms, fn) {
    disarm(name);
    timers[name] = setTimer(() => { timers[name] = null; fn(); }, ms);
  }

  function disarm(name) {
    if (timers[name] !== null) clearTimer(timers[name]);
    timers[name] = null;
  }

  // ---- delivery: exactly once, in order ----------------------------------------------

  const cursorOf = (envelope) => finite(isGlobal ? envelope?.id : envelope?.seq);

  /** @returns {number} how many events were delivered */
  function ingest(envelope) {
    const c = cursorOf(envelope);
    if (stopped || c === null) return 0;
    if (cursor !== null && c <= cursor) return 0; // already delivered
    if (!isGlobal && c > cursor + 1) { // gap: hold it, fetch what is missing
      pending.set(c, envelope);
      requestFill();
      return 0;
    }
    deliver(envelope, c);
    let delivered = 1;
    while (!stopped && pending.has(cursor + 1)) {
      const next = pending.get(cursor + 1);
      pending.delete(cursor + 1);
      deliver(next, cursor + 1);
      delivered += 1;
    }
    return delivered;
  }

  function deliver(envelope, c) {
    cursor = c;
    lastEventAt = now();
    call(options.onEvent, envelope);
  }

  function requestFill() {
    if (fillBusy || stopped || isGlobal) return;
    disarm('fill');
    fillBusy = true;
    const token = fillToken;
    const before = cursor;
    fetchEvents(false).then((result) => {
      if (token !== fillToken) return;
      if (result.reset) { fillBusy = false; handleReset(result.reset); return; }
      for (const envelope of result.events ?? []) ingest(envelope);
      fillBusy = false;
      for (const key of pending.keys()) if (key <= cursor) pending.delete(key);
      if (stopped || pending.size === 0) return;
      if (cursor !== before) requestFill();
      else arm('fill', cfg.fillRetryMs, requestFill);
    });
  }

  function cancelFill() {
    fillToken += 1;
    fillBusy = false;
    disarm('fill');
  }

  // ---- polling ------------------------------------------------------------------------

  /**
   * One request to the polling endpoint, turned into {events, last} | {reset} | {error}.
   * @param {boolean} forPoll  the polling loop (abortable, uses `wait`) or a gap fill
   */
  async function fetchEvents(forPoll) {
    const url = urls.poll(cursor, { limit: cfg.pollLimit, wait: forPoll ? cfg.pollWaitS : 0 });
    const controller = forPoll && Abort ? new Abort() : null;
    if (controller) poll.abort = controller;
    try {
      const response = await fetchFn(url, {
        headers: { Accept: 'application/json', ...cfg.headers },
        cache: 'no-store',
        credentials: 'same-origin',
        signal: controller?.signal,
      });
      if (response.status === 401) {
        unauthorized();
        return { error: new Error('transport: the server wants its API token') };
      }
      const body = await response.json().catch(() => null);
      const detail = body && typeof body.detail === 'object' && body.detail ? body.detail : null;
      // Only the server's own refusals carry detail.code; a bare 404 is a wrong address.
      if ((response.status === 404 || response.status === 409) && typeof detail?.code === 'string') {
        return { reset: detail };
      }
      if (!response.ok || !body || !Array.isArray(body.events)) {
        return { error: new Error(`transport: polling answered HTTP ${response.status}`) };
      }
      return { events: body.events, last: finite(isGlobal ? body.last_id : body.last_seq) };
    } catch (error) {
      return { error };
    } finally {
      if (controller && poll.abort === controller) poll.abort = null;
    }
  }

  function startPolling() {
    if (poll.active) return;
    poll.active = true;
    poll.interval = null; // this catch-up poll goes at once; the cadence starts after it
    poll.failures = 0;
    pollNow();
  }

  function stopPolling() {
    poll.active = false;
    poll.interval = null;
    poll.failures = 0;
    poll.token += 1;
    disarm('poll');
    if (poll.abort) {
      try { poll.abort.abort(); } catch { /* already settled */ }
      poll.abort = null;
    }
  }

  async function pollNow() {
    disarm('poll');
    const token = ++poll.token;
    const result = await fetchEvents(true);
    if (token !== poll.token || stopped) return;
    if (result.reset) { handleReset(result.reset); return; }
    let delivered = 0;
    for (const envelope of result.events ?? []) delivered += ingest(envelope);
    if (token !== poll.token || stopped) return; // a callback closed or switched the stream
    if (isGlobal && cursor === null && result.last !== null && result.last !== undefined) cursor = result.last;
    const answeredAgain = !result.error && poll.failures > 0;
    poll.failures = result.error ? poll.failures + 1 : 0;
    poll.interval = nextPollInterval(poll.interval, delivered > 0,
      { min: cfg.pollMinMs, max: cfg.pollMaxMs, factor: cfg.pollFactor });
    const fullPage = (result.events?.length ?? 0) >= cfg.pollLimit;
    arm('poll', fullPage ? 0 : poll.interval, pollNow);
    // The server answers again after polls failed: it is back, so push may well be too.
    // Waiting out the reconnect countdown (up to 30 s) would only keep the page on polling.
    if (answeredAgain && state === 'reconnecting') retryPush();
    emit();
    // Even with no new events, an answer says what the page shows is current.
    if (!result.error) call(options.onAnswer);
  }

  // ---- push transports ----------------------------------------------------------------

  /**
   * @param {'ws' | 'sse'} transport
   * @param {'connect' | 'refresh'} purpose  'refresh' re-opens a quiet SSE without telling the page
   */
  function openPush(transport, purpose) {
    const c = { transport, purpose, live: false, socket: null, timer: null };
    try {
      c.socket = transport === 'ws' ? new WS(urls.ws(cursor)) : new ES(urls.sse(cursor));
    } catch (error) {
      report(error); // e.g. a Content-Security-Policy refusing the address
      return null;
    }
    conn = c;
    const timeout = transport === 'ws' ? cfg.helloTimeoutMs : cfg.sseOpenTimeoutMs;
    c.timer = setTimer(() => { if (c === conn && !c.live) lost(c); }, timeout);
    const on = (type, handler) => c.socket.addEventListener(type, (event) => {
      if (c === conn) handler(event);
    });
    if (transport === 'ws') {
      on('message', (event) => onWsMessage(c, event.data));
      on('error', () => lost(c));
      on('close', (event) => {
        const code = RESET_CLOSE_CODES[event.code];
        if (code) handleReset({ code, message: event.reason || '' });
        else lost(c);
      });
    } else {
      on('open', () => opened(c));
      on('message', (event) => {
        const envelope = parse(event.data);
        if (!envelope) return;
        if (!c.live) opened(c);
        kick(c);
        ingest(envelope);
      });
      on('reset', (event) => handleReset(parse(event.data) ?? { code: 'unknown' }));
      on('error', () => lost(c)); // also the end of the stream: reconnect on our own terms
    }
    return c;
  }

  function parse(data) {
    if (typeof data !== 'string') return null; // binary frames are not ours
    try {
      const value = JSON.parse(data);
      return value && typeof value === 'object' ? value : null;
    } catch {
      return null;
    }
  }

  function onWsMessage(c, data) {
    const msg = parse(data);
    if (!msg) return;
    if (msg.control !== undefined) {
      if (msg.control === 'reset') { handleReset(msg); return; }
      if (msg.control === 'hello') {
        if (isGlobal && cursor === null) cursor = finite(msg.last_id);
        if (!c.live) opened(c);
        return;
      }
      if (c.live) kick(c); // ping, or a control this client does not know yet
      return;
    }
    if (!c.live) opened(c); // tolerate a server that skips hello
    kick(c);
    ingest(msg);
  }

  /** Re-arm the silence watchdog of a live connection. */
  function kick(c) {
    if (c.timer !== null) clearTimer(c.timer);
    const limit = c.transport === 'ws' ? cfg.wsIdleTimeoutMs : cfg.sseIdleTimeoutMs;
    c.timer = setTimer(() => { if (c === conn) silent(c); }, limit);
  }

  function silent(c) {
    if (c.transport === 'ws') { lost(c); return; } // pings stopped: the socket is dead
    // A quiet SSE may just be a job with nothing to say: re-open it quietly.
    dispose(c);
    conn = null;
    if (!openPush('sse', 'refresh')) dropped();
  }

  function opened(c) {
    c.live = true;
    kick(c);
    everLive = true;
    preferred = c.transport;
    rungs = [];
    mode = c.transport;
    state = 'live';
    reason = null;
    attempt = 0;
    nextRetryAt = null;
    retryInMs = null;
    disarm('reconnect');
    stopPolling();
    emit();
  }

  /** The connection failed (before opening) or dropped (after). */
  function lost(c) {
    dispose(c);
    conn = null;
    if (c.live || c.purpose === 'refresh') dropped();
    else nextRung();
  }

  function dispose(c) {
    if (c.timer !== null) clearTimer(c.timer);
    c.timer = null;
    if (conn === c) conn = null;
    try { c.socket.close(); } catch { /* already closed */ }
  }

  function closeConn() {
    if (conn) dispose(conn);
    rungs = [];
  }

  // ---- the fallback ladder ------------------------------------------------------------

  /** Try `ladder` in order; polling keeps running meanwhile if it already was. */
  function connect(ladder, why) {
    if (stopped) return;
    closeConn();
    disarm('reconnect');
    rungs = ladder.slice();
    reason = why;
    nextRung();
  }

  function nextRung() {
    while (rungs.length) {
      const transport = rungs.shift();
      mode = transport;
      state = 'connecting';
      nextRetryAt = null;
      retryInMs = null;
      if (openPush(transport, 'connect')) { emit(); return; }
    }
    if (everLive || offline) dropped();
    else degrade(wanted.length ? 'blocked' : 'manual');
  }

  /** Push was working and is gone: poll meanwhile, retry with back-off. */
  function dropped() {
    if (offline) { waitForNetwork(); return; } // no countdown: `online` says when to try
    attempt += 1;
    const delay = backoffDelay(attempt,
      { base: cfg.backoffBaseMs, cap: cfg.backoffCapMs, jitter: cfg.backoffJitter, random });
    mode = 'poll';
    state = 'reconnecting';
    reason = 'network-lost';
    retryInMs = delay;
    nextRetryAt = now() + delay;
    arm('reconnect', delay, retryPush);
    startPolling();
    emit();
  }

  /** An automatic reconnect: from the push transport that last worked. */
  function retryPush() {
    const from = pushOrder.indexOf(preferred);
    connect(pushOrder.slice(Math.max(0, from)), 'network-lost');
  }

  /**
   * The browser says the network is gone. A socket does not notice for up to
   * `wsIdleTimeoutMs`, so stop trusting it now: poll (it tells when the server answers
   * again) and wait for `online` instead of counting down to reconnects that cannot work.
   */
  function wentOffline() {
    offline = true;
    if (!started || stopped || reason === 'offline') return;
    manualBeforeOffline = state === 'degraded' && reason === 'manual';
    waitForNetwork();
  }

  function waitForNetwork() {
    closeConn();
    disarm('reconnect');
    mode = 'poll';
    state = 'reconnecting';
    reason = 'offline';
    nextRetryAt = null;
    retryInMs = null;
    startPolling();
    emit();
  }

  function cameOnline() {
    offline = false;
    if (!started || stopped || state !== 'reconnecting') return;
    if (reason === 'offline' && manualBeforeOffline) degrade('manual');
    else retryPush();
  }

  /** Polling only, with no automatic retry: push is blocked, or the user chose polling. */
  function degrade(why) {
    closeConn();
    disarm('reconnect');
    mode = 'poll';
    state = 'degraded';
    reason = why;
    nextRetryAt = null;
    retryInMs = null;
    startPolling();
    emit();
  }

  function halt() {
    stopped = true;
    unwatchNetwork();
    epoch += 1;
    closeConn();
    disarm('reconnect');
    stopPolling();
    cancelFill();
    nextRetryAt = null;
    retryInMs = null;
  }

  function handleReset(payload) {
    if (stopped) return;
    /** @type {ResetInfo} */
    const info = {
      code: String(payload?.code ?? 'unknown'),
      message: String(payload?.message ?? ''),
      lastSeq: finite(payload?.last_seq) ?? finite(payload?.last_id),
      cursor,
    };
    halt();
    pending.clear();
    state = 'closed';
    reason = 'reset';
    resetCode = info.code;
    emit();
    const myEpoch = epoch;
    const answer = call(options.onReset, info);
    if (info.code === 'not_found') return; // the job is gone: nothing to resume
    Promise.resolve(answer).then((after) => {
      if (myEpoch === epoch && toCursor(after) !== null) resume(after);
    }, report);
  }

  function watchNetwork() {
    network?.addEventListener?.('offline', wentOffline);
    network?.addEventListener?.('online', cameOnline);
  }

  function unwatchNetwork() {
    network?.removeEventListener?.('offline', wentOffline);
    network?.removeEventListener?.('online', cameOnline);
  }

  // ---- public API ---------------------------------------------------------------------

  function start() {
    if (started) return;
    started = true;
    watchNetwork();
    connect(pushOrder, null);
  }

  function switchTo(target) {
    if (!started || stopped) return;
    if (target === 'poll') { degrade('manual'); return; }
    if (target !== 'ws' && target !== 'sse') throw new TypeError(`transport: unknown mode ${target}`);
    if (pushOrder.includes(target)) preferred = target;
    connect(pushOrder.includes(target) ? [target] : [], 'manual');
  }

  function reconnect() {
    if (!started || stopped) return;
    connect(pushOrder, 'manual');
  }

  function resume(after) {
    if (!started) return;
    halt();
    stopped = false;
    watchNetwork();
    pending.clear();
    if (toCursor(after) !== null) cursor = toCursor(after);
    resetCode = null;
    attempt = 0;
    connect(pushOrder, null);
  }

  function close() {
    if (stopped && state === 'closed' && reason !== 'reset') return;
    halt();
    state = 'closed';
    reason = null;
    emit();
  }

  if (options.autoStart !== false) start();
  return Object.freeze({ start, switchTo, reconnect, resume, close, getState });
}
