/**
 * Generation Progress (`/jobs/{id}`).
 *
 * 1. GET /api/jobs/{id}: the snapshot (skeletons until then; "not found" for an unknown
 *    job; "server unavailable" with a retry when there is no answer).
 * 2. Stream the job's events from `after = last_seq` with transport.js (WS → SSE → polling,
 *    exact resume), while the history rows (events up to last_seq) load for the log.
 * 3. Each event moves the model (lib/job-model.js); the view re-renders once per frame.
 * 4. On a reset (`cursor_ahead`), reload the snapshot and resume from its last_seq; on
 *    `not_found`, show the not-found state, and only it: once the job is known gone, no
 *    render brings back its banner, pill or actions.
 * 5. "Load earlier events" pages back through GET …/events, before the oldest row.
 * 6. A completed job shows its images with their QC verdicts (and the banner counts the
 *    failed ones). Regenerating an image runs the job again: the images and the selected
 *    one stay while it runs, and the new image joins them when the job completes.
 *
 * @module pages/progress
 */

import { COPY, SEL, STATUS_LABELS } from '../copy.js';
import { api } from '../lib/api.js';
import { editVersionUrl } from '../lib/configurations-api.js';
import { $, announce, copyText, h, setText } from '../lib/dom.js';
import { longTime } from '../lib/format.js';
import {
  TERMINAL, applyEvent, keepLastRun, modelFromSnapshot, recallLastEventTime, recallLastRun,
} from '../lib/job-model.js';
import { initThemeToggle } from '../lib/theme.js';
import { createJobStream } from '../transport.js';
import { connectionView, jobView, renderBanner } from '../components/banners.js';
import { confirmDialog } from '../components/dialog.js';
import { createJobbar } from '../components/jobbar.js';
import { createPreview } from '../components/preview.js';
import { MAX_ROWS, createTimeline } from '../components/timeline.js';
import { toast } from '../components/toast.js';

function main() {
  initThemeToggle();
  const jobId = document.body.dataset.jobId ?? '';
  const pageLoadedAt = Date.now();

  const els = {
    main: $(SEL.main),
    jobView: $(SEL.jobView),
    notFound: $(SEL.notFound),
    loadError: $(SEL.loadError),
    loadErrorText: $(SEL.loadErrorText),
    loadRetry: $(SEL.loadRetry),
    connBanner: $(SEL.connBanner),
    jobBanner: $(SEL.jobBanner),
    details: $(SEL.details),
    dialog: /** @type {HTMLDialogElement} */ ($(SEL.cancelDialog)),
    copyDebug: $(SEL.copyDebug),
    debugInfo: $(SEL.debugInfo),
    debugSummary: $(SEL.debugSummary),
  };

  const jobbar = createJobbar();
  const timeline = createTimeline({
    table: /** @type {HTMLTableElement} */ ($(SEL.logTable)),
    body: $(SEL.logBody),
    wrap: $(SEL.logWrap),
    summary: $(SEL.logSummary),
    loadEarlier: async (after, limit) => (await api.events(jobId, after, limit)).events ?? [],
    onActivate: (event) => {
      if (event.type === 'image' && preview.hasFinal) preview.selectImage(event.data?.index ?? 0);
    },
  });
  const preview = createPreview({
    root: $(SEL.preview),
    stage: $(SEL.previewStage),
    placeholder: $(SEL.previewPlaceholder),
    caption: $(SEL.previewCaption),
    results: $(SEL.results),
    thumbs: $(SEL.thumbs),
    download: /** @type {HTMLAnchorElement} */ ($(SEL.download)),
    open: /** @type {HTMLAnchorElement} */ ($(SEL.open)),
    copyUrl: /** @type {HTMLButtonElement} */ ($(SEL.copyUrl)),
    resultQc: $(SEL.resultQc),
    onCopied: (ok) => toast(ok ? COPY.urlCopied : COPY.copyFailed, { tone: ok ? 'success' : 'error' }),
  });

  /** @type {import('../lib/job-model.js').JobModel | null} */
  let model = null;
  /** @type {ReturnType<typeof createJobStream> | null} */
  let stream = null;
  /** @type {any} transport state */
  let transport = null;
  let snapshotAt = null;
  let lastUpdateAt = null;
  let lastEventAt = null;
  let announcedStatus = null;
  let announcedConn = null;
  /** Live updates were down (reconnecting, polling) and have not been live since: only
   *  going live clears it, so a manual reconnect ("connecting" in between) that works is
   *  announced as restored too. */
  let connDown = false;
  /** The push stream was blocked or lost since it last worked (banners.connectionView). */
  let streamFailed = false;
  let imagesFor = null; // the attempt whose final images are shown
  let imagesRequest = 0; // only the newest request for the images is shown
  /** The regeneration the page saw running: its outcome is announced when it ends. */
  let watchedRegeneration = null;
  let frame = 0;
  /** The job is known not to exist (any more): the page shows only that. */
  let gone = false;
  /** The cancel dialog was closed because the job ended while it was open. */
  let endedWhileAsking = false;

  // ---- views ---------------------------------------------------------------------------

  /** @param {'loading' | 'ready' | 'not-found' | 'error'} view */
  function setView(view) {
    els.main.dataset.view = view;
    els.main.setAttribute('aria-busy', String(view === 'loading'));
    els.jobView.hidden = view === 'not-found' || view === 'error';
    els.notFound.hidden = view !== 'not-found';
    els.loadError.hidden = view !== 'error';
    if (view === 'not-found' || view === 'error') {
      renderBanner(els.connBanner, null);
      renderBanner(els.jobBanner, null);
    }
    if (view === 'loading') {
      jobbar.renderLoading();
      preview.loading();
    }
    if (view === 'error') jobbar.renderNotLoaded();
    if (view === 'not-found') {
      gone = true;
      stream?.close();
      delete els.main.dataset.status;
      jobbar.renderGone();
    }
  }

  function render() {
    frame = 0;
    if (!model) return;
    const now = Date.now();
    if (gone) {
      renderDebug(now); // the footer too says the stream is closed, not "WS live"
      return;
    }
    // Offline, or the polls get no answer: nothing arrives, so the estimate would be a guess.
    const noData = transport?.reason === 'offline' || transport?.pollFailures > 0;
    jobbar.renderJob(model, now, noData);
    jobbar.renderTransport(transport, model, now, lastUpdateAt);
    const jobBanner = withQc(jobView(model, now));
    renderBanner(els.jobBanner, jobBanner, els.main);
    renderBanner(els.connBanner, connectionView(transport, now, TERMINAL.has(model.status), { streamFailed }),
      jobbar.els.chip);
    els.main.dataset.status = model.status;
    const noImage = TERMINAL.has(model.status) && model.imageCount === 0 && !model.previewUrl
      && !preview.shownUrl && !preview.hasFinal;
    preview.noImage(noImage ? COPY.noImage(model.status) : null);
    announceStatus(jobBanner);
    closeStaleCancel();
    renderDebug(now);
  }

  /** "16 images ready" is not the whole story when 3 of them failed their checks: once the
   *  verdicts are known, the completed banner counts them. */
  function withQc(view) {
    const counts = preview.qcCounts;
    if (view?.kind !== 'completed' || !counts) return view;
    return { ...view, lines: [COPY.completedQcBody(preview.imageCount, counts)] };
  }

  /** Confirming would only get "cannot cancel": the job ended while the dialog was open. */
  function closeStaleCancel() {
    if (!els.dialog.open || !TERMINAL.has(model.status)) return;
    endedWhileAsking = true;
    els.dialog.close();
    toast(COPY.alreadyFinished(model.status), { tone: 'info' });
  }

  function scheduleRender() {
    if (frame) return;
    frame = window.requestAnimationFrame(render);
    // requestAnimationFrame does not run in a background tab; render anyway, later.
    window.setTimeout(() => { if (frame) { window.cancelAnimationFrame(frame); render(); } }, 250);
  }

  /** @param {import('../components/banners.js').BannerView | null} banner the job banner now */
  function announceStatus(banner) {
    if (!model || model.status === announcedStatus) return;
    const first = announcedStatus === null;
    announcedStatus = model.status;
    if (first) return; // the page's heading and pill say it; announce changes only
    const label = STATUS_LABELS[model.status] ?? model.status;
    if (model.status === 'completed') announce(COPY.completedTitle);
    // Queued again after a failed attempt: say why, and that it retries by itself.
    else announce([COPY.statusAnnouncement(label), banner?.announcement].filter(Boolean).join(' '));
  }

  function announceConnection(ts) {
    const key = ts ? `${ts.state}:${ts.reason ?? ''}` : '';
    if (key === announcedConn) return;
    announcedConn = key;
    if (!ts) return;
    if (ts.state === 'reconnecting' && !connDown) announce(COPY.networkLost);
    else if (ts.state === 'degraded' && ts.reason === 'blocked') announce(COPY.streamBlocked);
    else if (ts.state === 'live' && connDown) announce(COPY.restored);
    if (ts.state === 'live') connDown = false;
    else if (ts.state === 'reconnecting' || ts.state === 'degraded' || ts.reason === 'network-lost') connDown = true;
  }

  /** The configuration version the job ran with (JobPublic.configuration), or null. */
  let jobConfiguration = /** @type {{id: string, name: string, version: number} | null} */ (null);

  /** "back\slash (v1)", linked to that version in the Configurations page's editor. */
  function configurationLink(c) {
    return h('a', { href: editVersionUrl(c.id), text: `${c.name} (v${c.version})` });
  }

  function renderDetails() {
    if (!model) return;
    const p = model.params ?? {};
    const rows = [
      ['Prompt', model.prompt],
      ...(jobConfiguration ? [['Configuration', configurationLink(jobConfiguration)]] : []),
      ['Provider', model.provider],
      ['Size', p.size ?? (p.width && p.height ? `${p.width}x${p.height}` : '—')],
      ['Steps', p.steps ?? '—'],
      ['Style', p.style || 'None'],
      ['Seed', p.seed ?? '—'],
      ['Created', longTime(model.createdAt)],
    ];
    if (model.label) rows.splice(1, 0, ['Label', model.label]);
    els.details.replaceChildren(...rows.map(([term, value]) => h('div', {},
      h('dt', { text: term }),
      value instanceof Node
        ? h('dd', {}, value)
        : h('dd', { class: term === 'Prompt' ? 'details__prompt' : '', text: String(value) }))));
  }

  function debugInfo(now = Date.now()) {
    const iso = (t) => (t ? new Date(t).toISOString() : null);
    return {
      job_id: jobId,
      status: model?.status ?? null,
      attempt: model ? `${model.attempt}/${model.maxAttempts}` : null,
      last_event_seq: model?.lastSeq ?? null,
      transport: transport
        ? { mode: transport.mode, state: transport.state, reason: transport.reason,
          poll_interval_ms: transport.pollInterval, reconnect_attempt: transport.attempt }
        : null,
      timestamps: {
        page_loaded: iso(pageLoadedAt),
        snapshot_loaded: iso(snapshotAt),
        last_event_received: iso(lastEventAt),
        last_event_time: model?.lastEventTime ?? null,
        now: iso(now),
      },
      page: window.location.href,
      user_agent: navigator.userAgent,
    };
  }

  function renderDebug(now) {
    const info = debugInfo(now);
    setText(els.debugSummary, `seq ${info.last_event_seq ?? '–'} · ${transport?.mode?.toUpperCase() ?? '–'} ${transport?.state ?? ''}`.trim());
    if (/** @type {HTMLDetailsElement} */ (els.debugInfo.closest('details'))?.open) {
      setText(els.debugInfo, JSON.stringify(info, null, 2));
    }
  }

  // ---- data ------------------------------------------------------------------------------

  /** @param {boolean} [force] load again even if this attempt's images are shown (a
   *  regeneration completed, a reviewer changed a verdict) */
  async function loadImages(force = false) {
    if (!model || model.status !== 'completed' || (imagesFor === model.attempt && !force)) return;
    imagesFor = model.attempt;
    const ticket = ++imagesRequest;
    try {
      const [images, made] = await Promise.all([api.images(jobId), api.regenerations(jobId).catch(() => null)]);
      if (ticket !== imagesRequest || gone) return;
      preview.final(images, { prompt: model.prompt, stem: model.shortId, ...(made ? { regenerations: made } : {}) });
      if (made) announceRegenerated(made);
      scheduleRender();
    } catch {
      if (ticket === imagesRequest) imagesFor = null; // try again on the next status change or tick
    }
  }

  /**
   * The job runs again after completing: a regeneration of one image. The images and the
   * selection stay; the thumbnails show which image is being made. A page opened while it
   * runs shows the images too. A run that made no image yet is a first run: its previews
   * are shown as they come.
   */
  async function followRegeneration() {
    if (!model || TERMINAL.has(model.status) || model.imageCount === 0) return;
    try {
      const made = await api.regenerations(jobId);
      if (gone || !model || TERMINAL.has(model.status)) return;
      const pending = made.find((r) => r.status === 'pending');
      if (pending) watchedRegeneration = pending.id;
      if (preview.hasFinal) {
        preview.setRegenerations(made);
      } else if (pending) {
        const images = await api.images(jobId);
        if (!gone && model && !TERMINAL.has(model.status) && !preview.hasFinal) {
          preview.final(images, { prompt: model.prompt, stem: model.shortId, regenerations: made });
        }
      }
      scheduleRender();
    } catch {
      // The images stay as they are; the new one comes when the job completes.
    }
  }

  /** Say how the regeneration the page watched ended, once. */
  function announceRegenerated(made) {
    const done = made.find((r) => r.id === watchedRegeneration && r.status === 'completed');
    if (!done) return;
    watchedRegeneration = null;
    announce(COPY.regeneratedAs(done.source_index + 1, done.image_index + 1, done.qc_status));
  }

  /** The job left `completed`: a run from scratch clears the images, a regeneration keeps them. */
  function leftCompleted() {
    if (!model || model.status === 'completed') return;
    if (preview.hasFinal && model.imageCount === 0) {
      preview.resetFinal();
      imagesFor = null;
    } else {
      followRegeneration();
    }
  }

  function adopt(snapshot) {
    if (gone) return;
    const previewUrl = model?.previewUrl;
    const previous = model;
    model = modelFromSnapshot(snapshot);
    jobConfiguration = snapshot.configuration ?? null;
    keepLastRun(model, previous);
    snapshotAt = Date.now();
    if (!model.previewUrl && previewUrl) model.previewUrl = previewUrl;
    if (model.previewUrl) preview.preview(model.previewUrl, {});
    leftCompleted();
    renderDetails();
    loadImages();
    scheduleRender();
  }

  async function loadHistory(lastSeq) {
    try {
      if (lastSeq > 0) {
        const page = await api.events(jobId, Math.max(0, lastSeq - MAX_ROWS), MAX_ROWS);
        const history = (page.events ?? []).filter((e) => e.seq <= lastSeq);
        timeline.push(...history);
        if (model) {
          recallLastRun(model, history);
          recallLastEventTime(model, history);
          scheduleRender();
        }
      }
    } catch {
      // The log starts with the live events; the snapshot already shows the state.
    }
    timeline.release();
  }

  function onEvent(event) {
    if (!model) return;
    lastEventAt = Date.now();
    lastUpdateAt = lastEventAt;
    const changed = applyEvent(model, event);
    timeline.push(event);
    if (changed.has('preview')) {
      preview.preview(model.previewUrl, { step: model.previewStep, ...(model.previewSize ?? {}) });
    }
    if (changed.has('status')) {
      if (model.status === 'completed') loadImages(true);
      else leftCompleted();
    }
    // A reviewer's verdict (here or in another tab): the badges and the banner follow.
    if (event.type === 'qc' && preview.hasFinal) loadImages(true);
    if (changed.size) scheduleRender();
  }

  /** A poll was answered: the page is up to date now, events or not. */
  function onAnswer() {
    lastUpdateAt = Date.now();
    scheduleRender();
  }

  function onState(ts) {
    const wasLive = transport?.state === 'live';
    transport = ts;
    if (ts.state === 'live') streamFailed = false;
    else if (ts.reason === 'blocked' || ts.reason === 'network-lost') streamFailed = true;
    if (ts.state === 'live' && !wasLive && lastUpdateAt === null) lastUpdateAt = Date.now();
    announceConnection(ts);
    scheduleRender();
  }

  async function onReset(info) {
    if (info.code === 'not_found') {
      setView('not-found');
      announce(COPY.notFoundTitle);
      return undefined;
    }
    // cursor_ahead (or another refusal): start over from a fresh snapshot.
    const snapshot = await api.getJob(jobId);
    timeline.reset();
    adopt(snapshot);
    loadHistory(snapshot.last_seq);
    return snapshot.last_seq;
  }

  /** The snapshot and newest events the server embedded in the page, once (a reload of
   *  the page, or a reset, asks the API). */
  function takeBootstrap() {
    const node = document.getElementById('job-bootstrap');
    if (!node) return null;
    node.remove();
    try {
      const data = JSON.parse(node.textContent ?? '');
      return data?.job?.id === jobId ? data : null;
    } catch {
      return null;
    }
  }

  async function start() {
    setView('loading');
    const embedded = takeBootstrap();
    if (embedded) {
      const history = (embedded.events ?? []).filter((e) => e.seq <= embedded.job.last_seq);
      begin(embedded.job, history);
      timeline.push(...history);
      timeline.release();
      return;
    }
    let snapshot;
    try {
      snapshot = await api.getJob(jobId);
    } catch (error) {
      if (error?.kind === 'not_found') {
        setView('not-found');
        return;
      }
      // A 500 did answer: "did not answer" would send people to check a running server.
      setText(els.loadErrorText, error?.serverFault ? COPY.serverErrorHelp(error.status)
        : error?.unavailable ? COPY.serverUnavailableHelp : error?.message ?? String(error));
      setView('error');
      return;
    }
    begin(snapshot);
    loadHistory(snapshot.last_seq);
  }

  /** @param {any} snapshot @param {any[]} [history] the log up to its last_seq, when known */
  function begin(snapshot, history = []) {
    adopt(snapshot);
    if (model) {
      recallLastRun(model, history);
      recallLastEventTime(model, history);
    }
    lastUpdateAt = Date.now();
    setView('ready');
    render();
    stream = createJobStream({ jobId, after: snapshot.last_seq, onEvent, onState, onReset, onAnswer,
      onError: (error) => console.error(error) });
  }

  // ---- actions ---------------------------------------------------------------------------

  const { reconnect, poll, cancel } = jobbar.els;
  reconnect.addEventListener('click', () => stream?.reconnect());
  poll.addEventListener('click', () => stream?.switchTo('poll'));

  cancel.addEventListener('click', async () => {
    endedWhileAsking = false;
    const yes = await confirmDialog(els.dialog, { confirm: $(SEL.cancelConfirm), keep: $(SEL.cancelKeep) });
    if (!yes) {
      // The Cancel button it would return to is disabled now: the banner says how it ended.
      if (endedWhileAsking) els.jobBanner.focus();
      return;
    }
    cancel.disabled = true;
    try {
      adopt(await api.cancelJob(jobId));
      toast(COPY.cancelRequested, { tone: 'info' });
      render();
      els.jobBanner.focus();
    } catch (error) {
      if (error?.kind === 'not_found') {
        setView('not-found');
        return;
      }
      toast(COPY.actionFailed(error?.message ?? String(error)), { tone: 'error' });
      try { adopt(await api.getJob(jobId)); } catch { /* the stream will tell */ }
    }
  });

  async function retry(button) {
    if (button) button.disabled = true;
    try {
      adopt(await api.retryJob(jobId));
      toast(COPY.retryRequested(model.attempt, model.maxAttempts), { tone: 'success' });
      render();
      cancel.focus();
    } catch (error) {
      if (error?.kind === 'not_found') {
        setView('not-found');
        return;
      }
      if (button) button.disabled = false;
      toast(COPY.actionFailed(error?.message ?? String(error)), { tone: 'error' });
    }
  }

  $('#banners').addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action]');
    if (!button || /** @type {HTMLButtonElement} */ (button).disabled) return;
    switch (button.dataset.action) {
      case 'reconnect': stream?.reconnect(); break;
      case 'poll': stream?.switchTo('poll'); break;
      case 'stream': stream?.reconnect(); break;
      case 'retry': retry(/** @type {HTMLButtonElement} */ (button)); break;
      default: break;
    }
  });

  els.loadRetry.addEventListener('click', () => start());

  els.copyDebug.addEventListener('click', async () => {
    const ok = await copyText(JSON.stringify(debugInfo(), null, 2));
    toast(ok ? COPY.debugCopied : COPY.copyFailed, { tone: ok ? 'success' : 'error' });
  });
  els.debugInfo.closest('details')?.addEventListener('toggle', () => renderDebug(Date.now()));

  // Countdowns and "updated N s ago".
  window.setInterval(() => {
    if (!model) return;
    render();
    if (model.status === 'completed' && imagesFor === null) loadImages();
  }, 1000);

  window.addEventListener('pagehide', () => stream?.close());

  start();
}

main();
