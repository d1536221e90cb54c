// Unit tests for genfactory/web/static/js/transport.js — run with `node --test tests/js/`.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import {
  backoffDelay, buildStreamUrls, createJobStream, DEFAULTS, nextPollInterval,
} from '../../genfactory/web/static/js/transport.js';
import {
  createFakeClock, createFakeEventSource, createFakeFetch, createFakeWebSocket, createJobLog, flush,
} from './fakes.mjs';

/**
 * A per-job (or global) stream wired to fakes. The polling endpoint answers from `log`
 * unless `fetchHandler` says otherwise.
 */
function setup({ log = createJobLog('job-1'), fetchHandler, resetAnswer, env: envOverride, ...options } = {}) {
  const clock = createFakeClock();
  const WS = createFakeWebSocket();
  const ES = createFakeEventSource();
  const fetch = createFakeFetch(fetchHandler ?? ((call) => log.answer(call)), clock);
  const events = [];
  const states = [];
  const resets = [];
  const errors = [];
  const env = {
    WebSocket: WS,
    EventSource: ES,
    fetch,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    random: () => 0.5, // jitter factor exactly 1
    now: clock.now,
    location: { protocol: 'https:', host: 'gen.test' },
    network: new EventTarget(),
    ...envOverride,
  };
  const stream = createJobStream({
    jobId: 'job-1',
    after: 0,
    onEvent: (envelope) => events.push(envelope),
    onState: (state) => states.push(state),
    onReset: (info) => { resets.push(info); return resetAnswer?.(info); },
    onError: (error) => errors.push(error),
    env,
    ...options,
  });
  return {
    stream, clock, WS, ES, fetch, log, events, states, resets, errors, network: env.network,
    seqs: () => events.map((e) => e.seq),
    state: () => states.at(-1),
    ws: (i = -1) => WS.instances.at(i),
    es: (i = -1) => ES.instances.at(i),
    pollCalls: () => fetch.calls.filter((c) => c.path.endsWith('/events')),
  };
}

/** Bring a per-job stream live on WebSocket with the log's events up to `upTo` delivered. */
async function liveOnWs(t, upTo) {
  t.ws().hello({ last_seq: t.log.events.length });
  for (const e of t.log.range(Number(t.ws().after) + 1, upTo)) t.ws().json(e);
  await flush();
}

describe('pure helpers', () => {
  test('backoffDelay doubles from 1 s and caps at 30 s', () => {
    const exact = { random: () => 0.5 };
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, exact)),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  test('backoffDelay jitter stays within ±20 % and never above the cap', () => {
    for (const r of [0, 0.25, 0.999999]) {
      for (let n = 1; n <= 10; n += 1) {
        const raw = Math.min(30000, 1000 * 2 ** (n - 1));
        const d = backoffDelay(n, { random: () => r });
        assert.ok(d >= raw * 0.8 - 1 && d <= Math.min(30000, raw * 1.2), `attempt ${n}, r ${r}: ${d}`);
      }
    }
    assert.equal(backoffDelay(1, { random: () => 0 }), 800);
    assert.equal(backoffDelay(1, { random: () => 0.999999 }), 1200);
    assert.equal(backoffDelay(10, { random: () => 0.999999 }), 30000);
  });

  test('nextPollInterval grows ×1.5 to 12 s and resets to 2 s on events', () => {
    const seen = [];
    let interval = 2000;
    for (let i = 0; i < 7; i += 1) { interval = nextPollInterval(interval, false); seen.push(interval); }
    assert.deepEqual(seen, [3000, 4500, 6750, 10125, 12000, 12000, 12000]);
    assert.equal(nextPollInterval(12000, true), 2000);
    assert.equal(nextPollInterval(null, false), 2000);
  });

  test('buildStreamUrls: same origin, wss from https, absolute base, global', () => {
    const job = buildStreamUrls({ jobId: 'a/b', basePath: '/gf/', location: { protocol: 'https:', host: 'h:8443' } });
    assert.equal(job.ws(7), 'wss://h:8443/gf/api/jobs/a%2Fb/events/ws?after=7');
    assert.equal(job.sse(7), '/gf/api/jobs/a%2Fb/events/stream?after=7');
    assert.equal(job.poll(7, { limit: 500, wait: 0 }), '/gf/api/jobs/a%2Fb/events?after=7&limit=500&wait=0');
    const plain = buildStreamUrls({ jobId: 'x', location: { protocol: 'http:', host: 'local:8000' } });
    assert.equal(plain.ws(0), 'ws://local:8000/api/jobs/x/events/ws?after=0');
    const abs = buildStreamUrls({ global: true, basePath: 'https://api.test/root' });
    assert.equal(abs.ws(null), 'wss://api.test/root/api/events/ws');
    assert.equal(abs.poll(null, { limit: 500, wait: 0 }), 'https://api.test/root/api/events?limit=500&wait=0');
  });
});

describe('WebSocket', () => {
  test('happy path: resumes after the snapshot, reports live, delivers in order', async () => {
    const log = createJobLog();
    log.add(6);
    const t = setup({ log, after: 3 });
    assert.equal(t.ws().url, 'wss://gen.test/api/jobs/job-1/events/ws?after=3');
    assert.deepEqual([t.state().mode, t.state().state], ['ws', 'connecting']);
    await liveOnWs(t, 6);
    assert.deepEqual(t.seqs(), [4, 5, 6]);
    const s = t.stream.getState();
    assert.equal(s.mode, 'ws');
    assert.equal(s.state, 'live');
    assert.equal(s.cursor, 6);
    assert.equal(s.pollInterval, null);
    assert.equal(s.lastEventAt, t.clock.now());
    assert.equal(t.pollCalls().length, 0, 'no polling while live');
    assert.equal(t.ES.instances.length, 0);
  });

  test('refused before open → SSE, resuming from the same cursor', async () => {
    const log = createJobLog();
    log.add(4);
    const t = setup({ log, after: 2, basePath: '/gf' });
    t.ws().fail();
    assert.equal(t.ES.instances.length, 1);
    assert.equal(t.es().url, '/gf/api/jobs/job-1/events/stream?after=2');
    assert.deepEqual([t.state().mode, t.state().state], ['sse', 'connecting']);
    t.es().open();
    t.es().send(log.get(3));
    t.es().send(log.get(4));
    assert.deepEqual([t.state().mode, t.state().state, t.state().reason], ['sse', 'live', null]);
    assert.deepEqual(t.seqs(), [3, 4]);
  });

  test('no hello within 4 s (a proxy swallowing the upgrade) → SSE', async () => {
    const t = setup();
    t.ws().open(); // upgrade accepted, but nothing ever arrives
    await t.clock.advance(DEFAULTS.helloTimeoutMs - 1);
    assert.equal(t.ES.instances.length, 0);
    await t.clock.advance(1);
    assert.equal(t.ws(0).clientClosed, true);
    assert.equal(t.ES.instances.length, 1);
    assert.equal(t.state().mode, 'sse');
  });

  test('WS and SSE refused → degraded polling, reason blocked, no automatic retry', async () => {
    const log = createJobLog();
    log.add(3);
    const t = setup({ log, after: 1 });
    t.ws().fail();
    t.es().fail();
    await flush();
    assert.equal(t.es().clientClosed, true, 'the client stops EventSource from retrying on its own');
    const s = t.state();
    assert.deepEqual([s.mode, s.state, s.reason, s.nextRetryAt], ['poll', 'degraded', 'blocked', null]);
    assert.equal(t.pollCalls()[0].url, '/api/jobs/job-1/events?after=1&limit=500&wait=0');
    assert.deepEqual(t.seqs(), [2, 3]);
    assert.equal(s.pollInterval, 2000);
    await t.clock.advance(5 * 60_000);
    assert.equal(t.WS.instances.length, 1, 'blocked: push is only retried when the user asks');
    assert.equal(t.ES.instances.length, 1);
    assert.equal(t.state().state, 'degraded');
  });

  test('watchdog: pings keep it alive; 45 s of silence → reconnecting', async () => {
    const log = createJobLog();
    log.add(2);
    const t = setup({ log });
    await liveOnWs(t, 2);
    for (let i = 0; i < 8; i += 1) { await t.clock.advance(15_000); t.ws().ping(); }
    assert.equal(t.state().state, 'live', '2 minutes of pings only');
    assert.equal(t.ws().clientClosed, false);
    await t.clock.advance(DEFAULTS.wsIdleTimeoutMs - 1);
    assert.equal(t.state().state, 'live');
    await t.clock.advance(1);
    assert.equal(t.ws(0).clientClosed, true, 'the stuck socket is closed');
    assert.deepEqual([t.state().state, t.state().reason, t.state().mode], ['reconnecting', 'network-lost', 'poll']);
  });
});

describe('polling', () => {
  test('a poll answered 401 (the API token is gone) sends the page to sign in', async () => {
    let asked = 0;
    const t = setup({
      pushTransports: [],
      fetchHandler: () => ({ status: 401, body: { detail: { code: 'unauthorized', message: 'A valid API token is required.' } } }),
      env: { onUnauthorized: () => { asked += 1; } },
    });
    await t.clock.advance(100);
    await flush();
    assert.ok(asked >= 1, 'sign-in asked for');
    assert.deepEqual(t.events, []);
  });

  test('cadence: 2 s, ×1.5 on empty polls up to 12 s, back to 2 s on new events', async () => {
    const log = createJobLog();
    const t = setup({ log, pushTransports: [] });
    assert.deepEqual([t.state().state, t.state().reason], ['degraded', 'manual']);
    await t.clock.advance(60_000);
    const times = t.pollCalls().map((c) => c.at);
    const gaps = times.slice(1).map((at, i) => at - times[i]);
    assert.deepEqual(gaps.slice(0, 7), [2000, 3000, 4500, 6750, 10125, 12000, 12000]);
    assert.ok(gaps.every((g) => g <= 12000));
    assert.equal(t.state().pollInterval, 12000);

    log.add(2);
    const before = t.pollCalls().length;
    const nextPoll = t.clock.pending()[0];
    assert.equal(nextPoll.ms, 12000);
    await t.clock.advance(nextPoll.at - t.clock.now());
    assert.deepEqual(t.seqs(), [1, 2]);
    assert.equal(t.state().pollInterval, 2000, 'reset as soon as events arrive');
    await t.clock.advance(1999);
    assert.equal(t.pollCalls().length, before + 1);
    await t.clock.advance(1);
    assert.equal(t.pollCalls().length, before + 2, 'next poll 2 s later');
    assert.equal(t.pollCalls().at(-1).after, '2');
  });

  test('a full page is followed by an immediate poll; wait is an option', async () => {
    const log = createJobLog();
    log.add(7);
    const t = setup({ log, pushTransports: [], pollLimit: 3, pollWaitS: 25 });
    await flush();
    await t.clock.advance(0);
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(t.pollCalls().map((c) => c.after), ['0', '3', '6']);
    assert.equal(t.pollCalls()[0].params.get('wait'), '25');
  });

  test('every answered poll is reported, with or without events; failed ones are not', async () => {
    const answers = [];
    let down = false;
    const log = createJobLog();
    const t = setup({
      log, pushTransports: [], onAnswer: () => answers.push(t.clock.now()),
      fetchHandler: (call) => (down ? 'network-error' : log.answer(call)),
    });
    await t.clock.advance(5000); // the catch-up poll, then 2 s and 3 s later: no events
    assert.equal(answers.length, 3);
    down = true;
    await t.clock.advance(20_000);
    assert.equal(answers.length, 3, 'an unanswered poll says nothing is current');
  });

  test('polling errors back off instead of hammering the server', async () => {
    const t = setup({ pushTransports: [], fetchHandler: () => 'network-error' });
    await t.clock.advance(30_000);
    const times = t.pollCalls().map((c) => c.at);
    assert.deepEqual(times.slice(1, 4).map((at, i) => at - times[i]), [2000, 3000, 4500]);
    assert.equal(t.events.length, 0);
  });
});

describe('network lost after live', () => {
  test('reconnecting with growing, capped back-off, polling meanwhile, resuming after lastSeq', async () => {
    const log = createJobLog();
    log.add(5);
    const t = setup({ log });
    await liveOnWs(t, 5);
    log.add(1); // seq 6 happens while the socket is down
    t.ws().fail();
    await flush();
    let s = t.state();
    assert.deepEqual([s.mode, s.state, s.reason, s.attempt, s.retryInMs], ['poll', 'reconnecting', 'network-lost', 1, 1000]);
    assert.equal(s.nextRetryAt, t.clock.now() + 1000);
    assert.equal(t.pollCalls()[0].after, '5', 'polling picks up at once from the last seq');
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5, 6]);

    const delays = [];
    for (let attempt = 1; attempt <= 7; attempt += 1) {
      delays.push(t.state().retryInMs);
      const sockets = t.WS.instances.length;
      await t.clock.advance(t.state().retryInMs - 1);
      assert.equal(t.WS.instances.length, sockets, 'not before the countdown ends');
      await t.clock.advance(1);
      assert.equal(t.WS.instances.length, sockets + 1);
      assert.deepEqual([t.state().mode, t.state().state], ['ws', 'connecting']);
      assert.notEqual(t.state().pollInterval, null, 'polling goes on during the attempt');
      t.ws().fail(); // then SSE is tried in the same attempt
      assert.deepEqual([t.state().mode, t.state().state], ['sse', 'connecting']);
      assert.equal(t.es().after, '6');
      t.es().fail();
      await flush();
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert.equal(t.state().attempt, 8);

    log.add(1); // seq 7
    await t.clock.advance(t.state().retryInMs);
    assert.equal(t.ws().after, String(t.stream.getState().cursor), 'resubscribes after the last delivered seq');
    t.ws().hello();
    for (const e of log.range(Number(t.ws().after) + 1, 7)) t.ws().json(e);
    s = t.state();
    assert.deepEqual([s.mode, s.state, s.attempt, s.reason, s.pollInterval, s.nextRetryAt], ['ws', 'live', 0, null, null, null]);
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5, 6, 7]);
    const polls = t.pollCalls().length;
    await t.clock.advance(40_000); // below the 45 s watchdog: this test sends no pings
    assert.equal(t.pollCalls().length, polls, 'polling stopped once live again');
    assert.equal(t.state().state, 'live');
  });

  test('jitter spreads reconnect delays within bounds', async () => {
    const randoms = [0, 0.999, 0.3];
    const t = setup({ env: { random: () => randoms.shift() ?? 0.5 } });
    await liveOnWs(t, 0);
    t.ws().fail();
    await flush();
    assert.equal(t.state().retryInMs, 800);
    await t.clock.advance(800);
    t.ws().fail();
    t.es().fail();
    await flush();
    assert.equal(t.state().retryInMs, Math.round(2000 * (0.8 + 0.4 * 0.999)));
    await t.clock.advance(t.state().retryInMs);
    t.ws().fail();
    t.es().fail();
    await flush();
    assert.equal(t.state().retryInMs, Math.round(4000 * (0.8 + 0.4 * 0.3)));
  });

  test('after SSE worked (WS blocked), reconnects go to SSE and resume after lastSeq', async () => {
    const log = createJobLog();
    log.add(3);
    const t = setup({ log });
    t.ws().fail();
    t.es().open();
    for (const e of log.range(1, 3)) t.es().send(e);
    t.es().fail(); // the stream ends
    await flush();
    assert.equal(t.es(0).clientClosed, true);
    assert.deepEqual([t.state().state, t.state().reason], ['reconnecting', 'network-lost']);
    await t.clock.advance(1000);
    assert.equal(t.WS.instances.length, 1, 'the blocked WebSocket is not retried automatically');
    assert.equal(t.ES.instances.length, 2);
    assert.equal(t.es().after, '3');
  });

  test('duplicates re-sent across a reconnect are dropped', async () => {
    const log = createJobLog();
    log.add(5);
    const t = setup({ log, fetchHandler: () => undefined }); // polls stay unanswered
    await liveOnWs(t, 5);
    t.ws().fail();
    await t.clock.advance(1000);
    assert.equal(t.ws().after, '5');
    log.add(2);
    t.ws().hello();
    for (const seq of [3, 4, 5, 6, 5, 7, 6]) t.ws().json(log.get(seq));
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5, 6, 7]);
  });

  test('a gap is filled from the polling endpoint and delivery stays in order', async () => {
    const log = createJobLog();
    log.add(10);
    const t = setup({ log, fetchHandler: () => undefined });
    await liveOnWs(t, 7);
    t.ws().json(log.get(9)); // 8 went missing
    t.ws().json(log.get(10));
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5, 6, 7], 'nothing out of order');
    const fill = t.pollCalls().at(-1);
    assert.equal(fill.url, '/api/jobs/job-1/events?after=7&limit=500&wait=0');
    fill.respond(200, log.answer(fill).body);
    await flush();
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    log.add(1);
    t.ws().json(log.get(11));
    assert.deepEqual(t.seqs().slice(-2), [10, 11]);
    assert.equal(t.pollCalls().length, 1, 'one fill request only');
    assert.equal(t.state().state, 'live');
  });

  test('a gap closed by the stream before the fill answers is not delivered twice', async () => {
    const log = createJobLog();
    log.add(4);
    const t = setup({ log, fetchHandler: () => undefined });
    await liveOnWs(t, 2);
    t.ws().json(log.get(4));
    t.ws().json(log.get(3)); // late, but it closes the gap
    assert.deepEqual(t.seqs(), [1, 2, 3, 4]);
    const fill = t.pollCalls().at(-1);
    fill.respond(200, { job_id: 'job-1', events: log.range(3, 4), last_seq: 4, status: 'running' });
    await flush();
    assert.deepEqual(t.seqs(), [1, 2, 3, 4]);
  });

  test('a failed fill is retried', async () => {
    const log = createJobLog();
    log.add(5);
    let fail = true;
    const t = setup({ log, fetchHandler: (call) => (fail ? 'network-error' : log.answer(call)) });
    await liveOnWs(t, 3);
    t.ws().json(log.get(5));
    await flush();
    assert.deepEqual(t.seqs(), [1, 2, 3]);
    fail = false;
    await t.clock.advance(DEFAULTS.fillRetryMs);
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5]);
  });
});

describe('browser offline / online', () => {
  const offline = (t) => t.network.dispatchEvent(new Event('offline'));
  const online = (t) => t.network.dispatchEvent(new Event('online'));

  test('offline: the live socket is dropped at once, polling, no countdown; online: reconnects at once', async () => {
    const log = createJobLog();
    log.add(3);
    let reachable = true;
    const t = setup({ log, fetchHandler: (call) => (reachable ? log.answer(call) : 'network-error') });
    await liveOnWs(t, 3);
    reachable = false;
    offline(t); // long before the 45 s watchdog could notice
    await flush();
    assert.equal(t.ws(0).clientClosed, true, 'the socket is no longer trusted');
    const s = t.state();
    assert.deepEqual([s.mode, s.state, s.reason, s.nextRetryAt], ['poll', 'reconnecting', 'offline', null]);
    assert.equal(t.pollCalls()[0].after, '3');
    assert.ok(t.state().pollFailures >= 1, 'the polls get no answer either');
    await t.clock.advance(120_000);
    assert.equal(t.WS.instances.length, 1, 'no reconnect attempts while offline');
    assert.equal(t.ES.instances.length, 0);

    reachable = true;
    log.add(1);
    online(t);
    assert.equal(t.WS.instances.length, 2, 'at once, without waiting for a countdown');
    assert.equal(t.ws().after, '3');
    assert.deepEqual([t.state().state, t.state().reason], ['connecting', 'network-lost']);
    await liveOnWs(t, 4);
    assert.deepEqual([t.state().mode, t.state().state, t.state().reason], ['ws', 'live', null]);
    assert.deepEqual(t.seqs(), [1, 2, 3, 4]);
  });

  test('offline while the person chose polling: back to their choice once online', async () => {
    const t = setup();
    await liveOnWs(t, 0);
    t.stream.switchTo('poll');
    offline(t);
    assert.deepEqual([t.state().state, t.state().reason], ['reconnecting', 'offline']);
    online(t);
    assert.deepEqual([t.state().mode, t.state().state, t.state().reason], ['poll', 'degraded', 'manual']);
    assert.equal(t.WS.instances.length, 1);
  });

  test('"Reconnect now" while offline fails back to waiting for the network, not a countdown', async () => {
    const t = setup({ fetchHandler: () => 'network-error' });
    await liveOnWs(t, 0);
    offline(t);
    t.stream.reconnect();
    assert.equal(t.WS.instances.length, 2);
    t.ws().fail();
    t.es().fail();
    await flush();
    assert.deepEqual([t.state().state, t.state().reason, t.state().nextRetryAt], ['reconnecting', 'offline', null]);
    online(t);
    assert.equal(t.WS.instances.length, 3);
  });

  test('after close() the network events change nothing', async () => {
    const t = setup();
    await liveOnWs(t, 0);
    t.stream.close();
    offline(t);
    online(t);
    assert.equal(t.state().state, 'closed');
    assert.equal(t.WS.instances.length, 1);
    assert.equal(t.clock.pending().length, 0);
  });
});

describe('server unreachable', () => {
  test('failed polls are counted; the first answer after them retries push at once', async () => {
    const log = createJobLog();
    log.add(2);
    let up = true;
    const t = setup({ log, fetchHandler: (call) => (up ? log.answer(call) : 'network-error') });
    await liveOnWs(t, 2);
    up = false;
    t.ws().fail(); // the server went away
    await flush();
    assert.deepEqual([t.state().state, t.state().pollFailures], ['reconnecting', 1]);
    // Let the reconnect attempts fail a few times: the countdown grows.
    for (let i = 0; i < 4; i += 1) {
      await t.clock.advance(t.state().retryInMs);
      t.ws().fail();
      t.es().fail();
      await flush();
    }
    assert.equal(t.state().retryInMs, 16000);
    assert.ok(t.state().pollFailures >= 3);
    const sockets = t.WS.instances.length;
    up = true; // the server is back
    log.add(1);
    const nextPoll = t.clock.pending().find((timer) => timer.at < t.state().nextRetryAt);
    assert.ok(nextPoll, 'a poll comes before the countdown ends');
    await t.clock.advance(nextPoll.at - t.clock.now());
    assert.deepEqual(t.seqs(), [1, 2, 3], 'the poll brought the missed event');
    assert.equal(t.WS.instances.length, sockets + 1, 'push is tried right away, not in 16 s');
    assert.equal(t.ws().after, '3');
    assert.equal(t.state().pollFailures, 0);
    t.ws().hello();
    assert.equal(t.state().state, 'live');
  });

  test('a poll that answers after an answered poll does not cut the countdown short', async () => {
    const log = createJobLog();
    const t = setup({ log });
    await liveOnWs(t, 0);
    t.ws().fail(); // only the socket broke: polling works
    await flush();
    await t.clock.advance(1000);
    t.ws().fail();
    t.es().fail();
    await flush();
    assert.equal(t.state().retryInMs, 2000);
    const sockets = t.WS.instances.length;
    await t.clock.advance(1999);
    assert.equal(t.WS.instances.length, sockets, 'back-off kept while the polls answer');
    assert.equal(t.state().pollFailures, 0);
  });
});

describe('SSE', () => {
  test('a quiet stream is re-opened after 60 s without telling the page', async () => {
    const log = createJobLog();
    log.add(2);
    const t = setup({ log, pushTransports: ['sse'] });
    t.es().open();
    for (const e of log.range(1, 2)) t.es().send(e);
    const statesBefore = t.states.length;
    await t.clock.advance(DEFAULTS.sseIdleTimeoutMs);
    assert.equal(t.es(0).clientClosed, true);
    assert.equal(t.ES.instances.length, 2);
    assert.equal(t.es().after, '2');
    t.es().open();
    await t.clock.advance(1000);
    assert.equal(t.states.length, statesBefore, 'no state change for a quiet refresh');
    assert.equal(t.stream.getState().state, 'live');
  });

  test('a refresh that cannot open → reconnecting', async () => {
    const t = setup({ pushTransports: ['sse'] });
    t.es().open();
    await t.clock.advance(DEFAULTS.sseIdleTimeoutMs);
    t.es().fail();
    await flush();
    assert.deepEqual([t.state().state, t.state().reason], ['reconnecting', 'network-lost']);
  });
});

describe('reset', () => {
  test('WS reset frame (cursor_ahead) → onReset, closed, resumes from the returned last_seq', async () => {
    const log = createJobLog();
    log.add(2);
    const t = setup({ log, after: 9, resetAnswer: (info) => info.lastSeq });
    t.ws().open();
    t.ws().json({ control: 'reset', code: 'cursor_ahead', message: 'after 9 > last_seq 2', last_seq: 2 });
    t.ws(0).serverClose(4409);
    assert.deepEqual(t.resets, [{ code: 'cursor_ahead', message: 'after 9 > last_seq 2', lastSeq: 2, cursor: 9 }]);
    assert.ok(t.states.some((s) => s.state === 'closed' && s.reason === 'reset' && s.resetCode === 'cursor_ahead'));
    assert.equal(t.ES.instances.length, 0, 'a reset is not a reason to fall back');
    await flush();
    assert.equal(t.WS.instances.length, 2);
    assert.equal(t.ws().after, '2');
    t.ws().hello();
    assert.equal(t.state().state, 'live');
    assert.equal(t.state().resetCode, null);
  });

  test('WS close 4404 → not_found, stream stops for good', async () => {
    const t = setup({ after: 3, resetAnswer: () => 0 });
    t.ws().open();
    t.ws().serverClose(4404, 'no such job');
    assert.deepEqual(t.resets, [{ code: 'not_found', message: 'no such job', lastSeq: null, cursor: 3 }]);
    await t.clock.advance(120_000);
    assert.equal(t.WS.instances.length, 1);
    assert.equal(t.ES.instances.length, 0);
    assert.equal(t.pollCalls().length, 0);
    assert.deepEqual([t.state().state, t.state().resetCode], ['closed', 'not_found']);
    assert.equal(t.clock.pending().length, 0, 'no timer left behind');
  });

  test('SSE reset event → onReset; nothing else is opened while the page reloads', async () => {
    const t = setup({ after: 5, pushTransports: ['sse'] });
    t.es().open();
    t.es().event('reset', { code: 'cursor_ahead', message: 'ahead', last_seq: 4 });
    t.es().fail(); // the stream then ends
    assert.equal(t.resets.length, 1);
    assert.equal(t.resets[0].lastSeq, 4);
    assert.equal(t.es().clientClosed, true);
    await t.clock.advance(60_000);
    assert.equal(t.ES.instances.length, 1);
    assert.equal(t.state().state, 'closed');
    t.stream.resume(4); // the page reloaded the snapshot itself
    assert.equal(t.ES.instances.length, 2);
    assert.equal(t.es().after, '4');
  });

  test('polling 404 not_found / 409 cursor_ahead → onReset and polling stops', async () => {
    for (const [status, code] of [[404, 'not_found'], [409, 'cursor_ahead']]) {
      const t = setup({
        after: 8,
        pushTransports: [],
        fetchHandler: () => ({ status, body: { detail: { code, message: code, last_seq: 1 } } }),
      });
      await flush();
      assert.deepEqual(t.resets, [{ code, message: code, lastSeq: 1, cursor: 8 }]);
      await t.clock.advance(60_000);
      assert.equal(t.pollCalls().length, 1, `${code}: no more polling`);
      assert.equal(t.state().state, 'closed');
    }
  });

  test('a bare 404 (wrong address, not the server refusing a cursor) is not a reset', async () => {
    const t = setup({ pushTransports: [], fetchHandler: () => ({ status: 404, body: { detail: 'Not Found' } }) });
    await t.clock.advance(10_000);
    assert.equal(t.resets.length, 0);
    assert.ok(t.pollCalls().length > 1);
  });
});

describe('manual controls', () => {
  test('switchTo("poll") closes the socket and stays on polling', async () => {
    const log = createJobLog();
    log.add(3);
    const t = setup({ log });
    await liveOnWs(t, 3);
    t.stream.switchTo('poll');
    await flush();
    assert.equal(t.ws().clientClosed, true);
    assert.deepEqual([t.state().mode, t.state().state, t.state().reason], ['poll', 'degraded', 'manual']);
    assert.equal(t.pollCalls()[0].after, '3');
    await t.clock.advance(5 * 60_000);
    assert.equal(t.WS.instances.length, 1, 'no automatic reconnect after the user chose polling');
  });

  test('switchTo("sse") from WS resumes on SSE after the last seq', async () => {
    const log = createJobLog();
    log.add(3);
    const t = setup({ log });
    await liveOnWs(t, 3);
    t.stream.switchTo('sse');
    assert.equal(t.ws().clientClosed, true);
    assert.equal(t.es().after, '3');
    assert.deepEqual([t.state().mode, t.state().state, t.state().reason], ['sse', 'connecting', 'manual']);
    t.es().open();
    assert.deepEqual([t.state().mode, t.state().state], ['sse', 'live']);
  });

  test('reconnect() cancels the countdown and tries WS at once', async () => {
    const t = setup();
    await liveOnWs(t, 0);
    t.ws().fail();
    await flush();
    await t.clock.advance(1000);
    t.ws().fail(); // attempt 1 (WS, then SSE) fails → 2 s countdown
    t.es().fail();
    await flush();
    assert.equal(t.state().retryInMs, 2000);
    const sockets = t.WS.instances.length;
    t.stream.reconnect();
    assert.equal(t.WS.instances.length, sockets + 1, 'immediately');
    assert.deepEqual([t.state().state, t.state().reason, t.state().nextRetryAt], ['connecting', 'manual', null]);
    await t.clock.advance(2000);
    assert.equal(t.WS.instances.length, sockets + 1, 'the old countdown does not fire');
    assert.equal(t.ws().clientClosed, false);
    t.ws().hello();
    assert.equal(t.state().state, 'live');
  });

  test('"Try SSE/WS again" from blocked polling: reconnect() goes live and stops polling', async () => {
    const t = setup();
    t.ws().fail();
    t.es().fail();
    await flush();
    assert.equal(t.state().reason, 'blocked');
    t.stream.reconnect();
    assert.deepEqual([t.state().mode, t.state().state], ['ws', 'connecting']);
    t.ws().hello();
    assert.deepEqual([t.state().mode, t.state().state], ['ws', 'live']);
    const polls = t.pollCalls().length;
    await t.clock.advance(30_000);
    assert.equal(t.pollCalls().length, polls);
  });

  test('close() stops everything and leaves no timer', async () => {
    const t = setup();
    await liveOnWs(t, 0);
    t.ws().fail();
    await flush();
    t.stream.close();
    assert.equal(t.state().state, 'closed');
    assert.equal(t.clock.pending().length, 0);
    await t.clock.advance(60_000);
    assert.equal(t.WS.instances.length, 1);
  });

  test('a throwing onEvent does not break the stream', async () => {
    const log = createJobLog();
    log.add(2);
    const t = setup({ log, onEvent: (e) => { if (e.seq === 1) throw new Error('render failed'); t.events.push(e); } });
    await liveOnWs(t, 2);
    assert.deepEqual(t.seqs(), [2]);
    assert.equal(t.errors[0].message, 'render failed');
  });
});

describe('global stream', () => {
  test('cursor is the envelope id: gaps are normal, duplicates dropped, resume after the id', async () => {
    const t = setup({ jobId: undefined, global: true, after: undefined, fetchHandler: () => undefined });
    assert.equal(t.ws().url, 'wss://gen.test/api/events/ws', '"from now" when no cursor is given');
    t.ws().hello({ last_id: 100 });
    assert.equal(t.stream.getState().cursor, 100, 'adopts last_id from hello');
    const ev = (id) => ({ job_id: `j${id}`, seq: 1, id, type: 'status', time: '', data: {} });
    for (const id of [90, 105, 230, 105, 231]) t.ws().json(ev(id));
    await flush();
    assert.deepEqual(t.events.map((e) => e.id), [105, 230, 231]);
    assert.equal(t.fetch.calls.length, 0, 'no gap filling on the global stream');
    t.ws().fail();
    await flush();
    assert.equal(t.fetch.calls[0].url, '/api/events?after=231&limit=500&wait=0');
    await t.clock.advance(1000);
    assert.equal(t.ws().url, 'wss://gen.test/api/events/ws?after=231');
  });

  test('polling the global stream adopts last_id when starting "from now"', async () => {
    const t = setup({
      jobId: undefined,
      global: true,
      after: undefined,
      pushTransports: [],
      fetchHandler: (call) => ({ status: 200, body: { events: [], last_id: call.after ? Number(call.after) : 500 } }),
    });
    await t.clock.advance(2000);
    assert.deepEqual(t.pollCalls().map((c) => c.after), [null, '500']);
  });
});

test('a cursor read from the DOM as a string is accepted', () => {
  const t = setup({ after: '12' });
  assert.equal(t.ws().after, '12');
  assert.equal(t.stream.getState().cursor, 12);
});

test('createJobStream needs a jobId or global: true', () => {
  assert.throws(() => createJobStream({ env: {} }), TypeError);
});
