/**
 * The Single Job View: a modal <dialog> (about 900 × 700) over the table. Escape, the ×
 * button and a click on the backdrop close it; Tab stays inside; focus goes back to what
 * opened it. It shows the job's information, its gallery (jobs/gallery.js), its error and
 * parameters, and its timeline (jobs/timeline.js: the history, then the job's own live
 * stream, whose events also keep the rest of the view current). Focus never falls to the
 * page's body: a deleted job's notice takes it, and after Delete the table's next row does.
 *
 * @module jobs/modal
 */

import { JOB_STATUS_LABELS, JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, replaceChildren, setText } from '../lib/dom.js';
import { longTime } from '../lib/format.js';
import { jobsApi } from './api.js';
import { jobSeconds, longDuration, TERMINAL_STATUSES } from './format.js';
import { createGallery } from './gallery.js';
import { createJobTimeline } from './timeline.js';

const FOCUSABLE = 'button:not([disabled]), a[href], area[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
const REFRESH_DEBOUNCE_MS = 300;

/**
 * @param {{
 *   onExport: (id: string) => void,
 *   onRerun: (id: string) => void,
 *   onDelete: (id: string) => Promise<boolean>,
 *   onJob: (job: any) => void,
 *   notify: (message: string, tone?: any) => void,
 * }} options
 */
export function createJobModal(options) {
  const dialog = /** @type {HTMLDialogElement} */ ($(S.modal));
  const els = {
    name: $(S.modalName),
    close: $(S.modalClose),
    details: /** @type {HTMLAnchorElement} */ ($(S.modalDetails)),
    exportButton: $(S.modalExport),
    rerun: $(S.modalRerun),
    deleteButton: $(S.modalDelete),
    body: $(S.modalBody),
    error: $(S.modalError),
    errorText: $(S.modalErrorText),
    retry: $(S.modalRetry),
    info: $(S.modalInfo),
    operation: $(S.modalOperation),
    jobError: $(S.modalJobError),
    jobErrorText: $(S.modalJobErrorText),
    jobErrorMeta: $(S.modalJobErrorMeta),
    params: $(S.modalParams),
  };
  const timeline = createJobTimeline({
    onEvent: (envelope) => onJobEvent(envelope),
    onGone: () => showLoadError({ kind: 'not_found' }),
    onReset: () => load(),
  });
  const gallery = createGallery({ onReviewed: () => scheduleRefresh(), notify: options.notify });

  /** @type {string | null} */
  let jobId = null;
  /** @type {any} */
  let job = null;
  /** @type {HTMLElement | null} */
  let opener = null;
  let ticket = 0;
  let refreshTimer = 0;
  let tickTimer = 0;

  // ---- open / close ------------------------------------------------------------------

  /**
   * @param {string} id
   * @param {{job?: any, opener?: HTMLElement | null}} [from]  what the table knows already
   */
  function open(id, from = {}) {
    opener = from.opener ?? /** @type {HTMLElement | null} */ (document.activeElement);
    jobId = id;
    job = from.job ?? null;
    els.details.href = `/jobs/${encodeURIComponent(id)}`;
    setText(els.operation, '');
    els.error.hidden = true;
    setGone(false);
    if (!dialog.open) dialog.showModal();
    els.body.scrollTop = 0;
    els.close.focus();
    window.clearInterval(tickTimer);
    tickTimer = window.setInterval(() => { if (job && !TERMINAL_STATUSES.has(job.status)) renderInfo(); }, 1000);
    return load();
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener('close', () => {
    jobId = null;
    job = null;
    ticket += 1;
    gallery.close();
    timeline.stop();
    window.clearTimeout(refreshTimer);
    window.clearInterval(tickTimer);
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });

  // The backdrop is the dialog element itself (the frame fills the box): a click there closes.
  dialog.addEventListener('click', (event) => {
    if (event.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
    if (!inside) close();
  });

  // Tab stays inside: from the last stop it wraps straight to the first (and Shift+Tab from
  // the first to the last). "Last" is judged from where focus is — no stop after it — not by
  // identity with a precomputed element: the log's roving row, a scroll box the browser makes
  // focusable, or an SVG <use href> once made that miss, and Tab escaped to the page once.
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab' || event.defaultPrevented) return;
    const items = /** @type {HTMLElement[]} */ ([...dialog.querySelectorAll(FOCUSABLE)])
      .filter((el) => el.offsetParent !== null && !el.closest('[inert], [hidden]'));
    if (!items.length) return;
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const inside = active !== null && active !== dialog && dialog.contains(active);
    const following = (el) => Boolean(active && (active.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING));
    const preceding = (el) => Boolean(active && (active.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING) && !el.contains(active));
    if (event.shiftKey && (!inside || !items.some(preceding))) {
      event.preventDefault();
      items[items.length - 1].focus();
    } else if (!event.shiftKey && (!inside || !items.some((el) => el !== active && following(el)))) {
      event.preventDefault();
      items[0].focus();
    }
  });

  els.close.addEventListener('click', close);
  els.retry.addEventListener('click', async () => {
    await load();
    // Failed again: back to Try again. Loaded: the Try again button is gone, so the ×.
    if (!els.error.hidden && !els.retry.hidden) els.retry.focus();
    else if (!dialog.contains(document.activeElement) || document.activeElement === dialog) els.close.focus();
  });
  els.exportButton.addEventListener('click', () => { if (jobId) options.onExport(jobId); });
  els.rerun.addEventListener('click', () => { if (jobId) options.onRerun(jobId); });
  els.deleteButton.addEventListener('click', async () => {
    if (!jobId) return;
    // The rows around the opener's: one of them takes the focus once this one is gone.
    const row = /** @type {HTMLElement | null} */ (opener?.closest('tr[data-id]') ?? null);
    const around = [row?.nextElementSibling, row?.previousElementSibling]
      .map((r) => /** @type {HTMLElement | null | undefined} */ (r)?.dataset.id)
      .filter(Boolean);
    const deleted = await options.onDelete(jobId);
    if (deleted) {
      opener = null; // its row is gone
      close();
      focusTableAfterDelete(/** @type {string[]} */ (around));
    }
  });

  /** After a deletion: the next row (else the previous, else any row, else the table). */
  function focusTableAfterDelete(ids) {
    const body = document.querySelector(S.body);
    const rows = /** @type {HTMLElement[]} */ ([...(body?.querySelectorAll('tr[data-id]') ?? [])]);
    const target = ids.map((id) => rows.find((r) => r.dataset.id === id)).find(Boolean)
      ?? rows[0] ?? /** @type {HTMLElement | null} */ (document.querySelector(S.table));
    if (target && target.tabIndex < 0 && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target?.focus();
  }
  els.info.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-open]');
    if (button) open(/** @type {HTMLElement} */ (button).dataset.open ?? '', { opener });
  });

  // ---- loading -----------------------------------------------------------------------

  async function load() {
    const id = jobId;
    if (!id) return;
    const mine = ++ticket;
    const retrying = els.error.contains(document.activeElement);
    els.error.hidden = true;
    setGone(false);
    if (retrying) els.close.focus();
    setText(els.name, job ? job.label || job.short_id : T.modalLoading);
    els.info.setAttribute('aria-busy', 'true');
    replaceChildren(els.info, ...[0, 1, 2, 3, 4].map(() => h('div', { class: 'info-list__row' },
      h('dt', {}, h('span', { class: 'skeleton skeleton--line w-60' })),
      h('dd', {}, h('span', { class: 'skeleton skeleton--line w-80' })))));
    replaceChildren(els.params);
    els.jobError.hidden = true;
    gallery.loading();
    timeline.loading();
    let snapshot;
    try {
      snapshot = await jobsApi.get(id);
    } catch (error) {
      if (mine !== ticket) return;
      showLoadError(error);
      return;
    }
    if (mine !== ticket) return;
    job = snapshot;
    options.onJob(job);
    renderAll();
    gallery.open(id, job.image_count ?? 0);
    timeline.follow(id, job.last_seq);
  }

  /** One event of the open job (its own stream): the timeline, and what it changes. */
  function onJobEvent(envelope) {
    const type = envelope.type;
    if (['status', 'image', 'error', 'log', 'label', 'qc'].includes(type)) scheduleRefresh();
    // Status changes too: a regeneration (completed → queued → … → completed) shows in the
    // gallery as a busy button and a placeholder until its image arrives; a review made
    // elsewhere (qc) changes a tile's verdict.
    if (type === 'image' || type === 'status' || type === 'qc') gallery.reload();
  }

  /** A job deleted (here or elsewhere) leaves only the notice: no sections, no actions. */
  function setGone(gone) {
    if (gone) els.body.dataset.gone = 'true';
    else delete els.body.dataset.gone;
    setActions(!gone);
    els.details.hidden = gone;
  }

  /** Export, Rerun and Delete need a job that loaded (and still exists). */
  function setActions(enabled) {
    for (const button of [els.exportButton, els.rerun, els.deleteButton]) {
      /** @type {HTMLButtonElement} */ (button).disabled = !enabled;
    }
  }

  function showLoadError(error) {
    const gone = /** @type {any} */ (error)?.kind === 'not_found';
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    setGone(gone);
    setActions(false);
    els.error.hidden = false;
    els.retry.hidden = gone;
    setText(els.errorText, gone ? T.modalNotFound : T.modalError);
    els.info.setAttribute('aria-busy', 'false');
    replaceChildren(els.info);
    gallery.close();
    replaceChildren($(S.galleryGrid));
    timeline.stop();
    setText($(S.logSummary), ''); // not "No events yet.": nothing could be asked
    if (!gone) {
      replaceChildren($(S.logBody), h('tr', {}, h('td', { colspan: '5', class: 'log__message', text: T.timelineUnavailable })));
    }
    setText(els.name, job?.label || job?.short_id || '');
    // What had the focus may be gone or disabled now: the notice (or Try again) takes it.
    const lost = !active || !dialog.contains(active) || active === dialog
      || /** @type {any} */ (active).disabled || active.offsetParent === null;
    if (dialog.open && lost) (gone ? els.error : els.retry).focus();
  }

  async function refresh() {
    const id = jobId;
    if (!id) return;
    const mine = ticket;
    try {
      const snapshot = await jobsApi.get(id);
      if (mine !== ticket || id !== jobId) return;
      job = snapshot;
      options.onJob(job);
      renderAll();
    } catch {
      // The next event tries again; the view keeps what it had.
    }
  }

  function scheduleRefresh() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  }

  // ---- rendering ---------------------------------------------------------------------

  function renderAll() {
    setText(els.name, job.label || job.short_id);
    gallery.setImageCount(job.image_count ?? 0);
    gallery.setJobStatus(job.status);
    renderInfo();
    renderError();
    renderParams();
  }

  function row(term, ...value) {
    return h('div', { class: 'info-list__row' }, h('dt', { text: term }), h('dd', {}, ...value));
  }

  function renderInfo() {
    if (!job) return;
    const label = JOB_STATUS_LABELS[job.status] ?? job.status;
    const when = longTime(job.status_changed_at);
    const since = TERMINAL_STATUSES.has(job.status) ? T.statusAt(label, when) : T.statusSince(label, when);
    const passed = job.images_passed ?? 0;
    const failed = job.images_failed ?? 0;
    const config = job.configuration ? T.configVersion(job.configuration.name, job.configuration.version) : T.noConfiguration;
    const seconds = jobSeconds(job);
    els.info.setAttribute('aria-busy', 'false');
    replaceChildren(els.info,
      row(T.infoId, h('code', { class: 'info-list__id', text: job.id })),
      row(T.infoStatus, h('span', { class: 'pill', dataset: { status: job.status }, text: label }),
        h('span', { class: 'small muted', text: since.slice(label.length).trim() })),
      row(T.infoConfiguration, config),
      row(T.infoDuration, seconds === null ? T.none : `${longDuration(seconds)}${job.finished_at ? '' : ` ${T.durationLive}`}`),
      row(T.infoImages, T.imagesSummary(job.image_count ?? 0, passed, failed)),
      row(T.infoCreated, h('time', { datetime: job.created_at, text: longTime(job.created_at) })),
      job.rerun_of
        ? row(T.infoRerunOf, h('button', { type: 'button', class: 'link-button mono', dataset: { open: job.rerun_of }, text: job.rerun_of.slice(0, 8) }))
        : null);
  }

  function renderError() {
    const error = job.error;
    els.jobError.hidden = !error;
    if (!error) return;
    setText(els.jobErrorText, error.message);
    setText(els.jobErrorMeta, T.errorDetails(error.code, error.retryable));
  }

  function renderParams() {
    const p = job.params ?? {};
    const entries = [
      ['prompt', job.prompt],
      ['provider', job.provider],
      ['size', p.size ?? (p.width && p.height ? `${p.width}x${p.height}` : null)],
      ['steps', p.steps],
      ['count', p.count],
      ['style', p.style],
      ['seed', p.seed],
      ...Object.entries(p).filter(([k]) => !['size', 'width', 'height', 'steps', 'count', 'style', 'seed', 'faults'].includes(k)),
      ['attempt', `${job.attempt} / ${job.max_attempts}`],
    ].filter(([, v]) => v !== null && v !== undefined && v !== '');
    replaceChildren(els.params, ...entries.map(([key, value]) => row(
      T.paramLabels[key] ?? key.replaceAll('_', ' '),
      typeof value === 'object' ? JSON.stringify(value) : String(value),
    )));
  }

  return {
    open,
    close,
    get jobId() { return dialog.open ? jobId : null; },
    /** Say how the modal's export (or rerun) is going. */
    operation(text) { setText(els.operation, text); },
  };
}
