// Fakes for the browser pieces transport.js uses: a manual clock, WebSocket, EventSource,
// fetch, and a tiny per-job / global event log that answers the polling endpoint the way
// docs/streams.md says the server does.

/** Let every pending promise callback run (fetch chains need more than one microtask). */
export async function flush() {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A clock whose timers only fire when the test advances it. */
export function createFakeClock(start = 1_000_000) {
  let now = start;
  let nextId = 0;
  const timers = new Map();
  const clock = {
    now: () => now,
    setTimeout: (fn, ms = 0) => {
      nextId += 1;
      timers.set(nextId, { id: nextId, fn, at: now + Math.max(0, Number(ms) || 0), ms });
      return nextId;
    },
    clearTimeout: (id) => { timers.delete(id); },
    /** Timers still waiting, soonest first. */
    pending: () => [...timers.values()].sort((a, b) => a.at - b.at || a.id - b.id),
    /** Move time forward, firing due timers in order and settling promises after each. */
    async advance(ms) {
      const end = now + ms;
      await flush();
      for (;;) {
        const due = clock.pending().find((t) => t.at <= end);
        if (!due) break;
        now = due.at;
        timers.delete(due.id);
        due.fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
  return clock;
}

/** Just enough of EventTarget for the fakes. */
class Emitter {
  constructor() { this.listeners = new Map(); }
  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }
  removeEventListener(type, fn) {
    this.listeners.set(type, (this.listeners.get(type) ?? []).filter((f) => f !== fn));
  }
  dispatch(type, fields = {}) {
    const event = { type, target: this, ...fields };
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn(event);
    const handler = this[`on${type}`];
    if (typeof handler === 'function') handler.call(this, event);
  }
}

/** A WebSocket class whose server side the test drives. `instances` lists every socket. */
export function createFakeWebSocket() {
  class FakeWebSocket extends Emitter {
    static instances = [];
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      this.clientClosed = false;
      this.sent = [];
      FakeWebSocket.instances.push(this);
    }
    get after() { return new URL(this.url).searchParams.get('after'); }
    send(data) { this.sent.push(data); }
    close(code = 1005) {
      if (this.readyState === 3) return;
      this.clientClosed = true;
      this.readyState = 3;
      // Browsers report the close of a socket the page closed itself too; the client must ignore it.
      this.dispatch('close', { code, reason: '', wasClean: true });
    }
    // ---- server side ----
    open() { this.readyState = 1; this.dispatch('open'); }
    hello(extra = {}) {
      if (this.readyState === 0) this.open();
      this.json({ control: 'hello', after: Number(this.after ?? 0), ...extra });
    }
    json(obj) { this.dispatch('message', { data: JSON.stringify(obj) }); }
    ping() { this.json({ control: 'ping', time: new Date(0).toISOString() }); }
    /** Network failure: error then an abnormal close, as browsers report it. */
    fail() {
      this.readyState = 3;
      this.dispatch('error');
      this.dispatch('close', { code: 1006, reason: '', wasClean: false });
    }
    serverClose(code = 1000, reason = '') {
      this.readyState = 3;
      this.dispatch('close', { code, reason, wasClean: true });
    }
  }
  return FakeWebSocket;
}

/** An EventSource class whose server side the test drives. */
export function createFakeEventSource() {
  class FakeEventSource extends Emitter {
    static instances = [];
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      this.clientClosed = false;
      FakeEventSource.instances.push(this);
    }
    get after() { return new URL(this.url, 'http://page.test').searchParams.get('after'); }
    close() { this.clientClosed = true; this.readyState = 2; }
    // ---- server side ----
    open() { this.readyState = 1; this.dispatch('open'); }
    send(envelope) {
      this.dispatch('message', { data: JSON.stringify(envelope), lastEventId: String(envelope.seq) });
    }
    event(type, obj) { this.dispatch(type, { data: JSON.stringify(obj) }); }
    /** What browsers do when the stream fails or ends: error, then (on their own) retry. */
    fail() { this.readyState = 0; this.dispatch('error'); }
  }
  return FakeEventSource;
}

function makeResponse(status, body) {
  return {
    status,
    ok: status >= 200 && status < 300,
    json: async () => (body === undefined ? Promise.reject(new SyntaxError('no body')) : structuredClone(body)),
  };
}

/**
 * A fetch that records every call. `handler(call)` may answer at once by returning
 * {status, body}, or 'network-error'; returning undefined leaves the call pending for the
 * test to answer with call.respond(status, body) or call.fail().
 */
export function createFakeFetch(handler, clock) {
  const calls = [];
  const fetch = (url, init = {}) => new Promise((resolve, reject) => {
    const parsed = new URL(url, 'http://page.test');
    const call = {
      url,
      init,
      path: parsed.pathname,
      params: parsed.searchParams,
      after: parsed.searchParams.get('after'),
      at: clock ? clock.now() : null,
      settled: false,
      respond(status, body) { call.settled = true; resolve(makeResponse(status, body)); },
      fail(error = new TypeError('Failed to fetch')) { call.settled = true; reject(error); },
    };
    init.signal?.addEventListener?.('abort', () => {
      call.aborted = true;
      call.fail(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    });
    calls.push(call);
    const answer = handler ? handler(call) : undefined;
    if (answer === 'network-error') call.fail();
    else if (answer) call.respond(answer.status ?? 200, answer.body);
  });
  fetch.calls = calls;
  return fetch;
}

/** One job's event log: envelopes with seq 1..n and increasing ids. */
export function createJobLog(jobId = 'job-1') {
  const events = [];
  const log = {
    jobId,
    events,
    add(count = 1, type = 'progress') {
      for (let i = 0; i < count; i += 1) {
        const seq = events.length + 1;
        events.push({ job_id: jobId, seq, id: 1000 + seq * 7, type, time: '2026-01-01T00:00:00Z', data: { seq } });
      }
      return events.at(-1);
    },
    get: (seq) => events[seq - 1],
    range: (from, to) => events.filter((e) => e.seq >= from && e.seq <= to),
    /** The polling endpoint's answer for this log. */
    answer(call) {
      const after = Number(call.after ?? 0);
      const limit = Number(call.params.get('limit') ?? 500);
      if (after > events.length) {
        return { status: 409, body: { detail: { code: 'cursor_ahead', message: 'ahead', last_seq: events.length } } };
      }
      return {
        status: 200,
        body: { job_id: jobId, events: events.filter((e) => e.seq > after).slice(0, limit), last_seq: events.length, status: 'running' },
      };
    },
  };
  return log;
}
