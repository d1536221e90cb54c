/**
 * The Single Job View's gallery: the job's images as a grid with their QC status (passed,
 * failed, pending — shown by icon and word, not colour alone), filtered by QC status and
 * sorted by the order generated, date or quality; approve or reject each by hand;
 * regenerate a failed one (the job makes a new image with a new seed; a placeholder tile
 * and a busy button show it until the job's stream says the new image is there); select
 * some and export them as one ZIP. Rejecting asks for an optional reason (an inline field:
 * Enter rejects, Escape cancels). A control that leaves the grid hands the focus to its
 * neighbour, never to the page's body.
 *
 * @module jobs/gallery
 */

import { GALLERY_COPY as G } from '../copy.js';
import { QC_LABELS, JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { request } from '../lib/request.js';
import { jobsApi } from './api.js';

const QC_ICONS = { passed: 'check-circle', failed: 'x-circle', pending: 'clock' };
/** Statuses after which no image will come (until a retry): an empty gallery says so. */
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** What to say for a failed request: not the browser's bare "Failed to fetch". */
export function errorMessage(error) {
  const e = /** @type {any} */ (error);
  if (e?.kind === 'network' && !e.status) return T.unreachable;
  return e?.message ?? String(error);
}

/** A manual verdict, with the reviewer's reason when there is one (POST /api/images/{id}/qc). */
function saveReview(imageId, status, reason = '') {
  const text = reason.trim();
  if (!text) return jobsApi.review(imageId, status);
  return request(`/api/images/${encodeURIComponent(imageId)}/qc`, { method: 'POST', json: { status, reason: text } });
}

/**
 * @param {{onReviewed: () => void, notify: (message: string, tone?: any) => void}} options
 */
export function createGallery({ onReviewed, notify }) {
  const els = {
    grid: $(S.galleryGrid),
    qc: /** @type {HTMLSelectElement} */ ($(S.galleryQc)),
    sort: /** @type {HTMLSelectElement} */ ($(S.gallerySort)),
    selectAll: /** @type {HTMLInputElement} */ ($(S.gallerySelectAll)),
    exportButton: /** @type {HTMLButtonElement} */ ($(S.galleryExport)),
    status: $(S.galleryStatus),
  };
  const exportLabel = /** @type {HTMLElement} */ (els.exportButton.querySelector('span'));
  els.exportButton.prepend(h('span', { class: 'spinner', 'aria-hidden': 'true' }));
  /** @type {string | null} */
  let jobId = null;
  /** How many images the job has (for "Image 3 of 16"), whatever the filter shows. */
  let imageCount = 0;
  /** The image whose Reject asks for a reason now, and what has been typed. */
  /** @type {{id: string, draft: string} | null} */
  let rejecting = null;
  /** @type {any[]} */
  let images = [];
  /** @type {any[]} RegenerationPublic[], oldest first */
  let regenerations = [];
  /** Regenerations seen pending: their outcome is announced when it arrives. */
  const watching = new Set();
  /** Images whose regenerate request is on its way. */
  const requesting = new Set();
  let jobStatus = '';
  let exporting = false;
  const picked = new Set();
  let ticket = 0;
  /** The grid shows the images of the last load (not a skeleton or an error). */
  let loaded = false;

  function skeleton() {
    loaded = false;
    els.grid.setAttribute('aria-busy', 'true');
    replaceChildren(els.grid, ...[0, 1, 2, 3].map(() => h('li', { class: 'gallery__item gallery__item--skeleton', 'aria-hidden': 'true' },
      h('span', { class: 'skeleton gallery__skeleton' }))));
  }

  /** @param {string} text @param {string} [tone] @param {boolean} [retry]  offer "Try again" */
  function note(text, tone = '', retry = false) {
    els.grid.setAttribute('aria-busy', 'false');
    replaceChildren(els.grid, h('li', { class: `gallery__note${tone ? ` tone-${tone}` : ''}` },
      tone === 'error' ? icon('alert') : icon('image'),
      h('span', { text }),
      retry ? h('button', { type: 'button', class: 'btn btn--secondary btn--small', dataset: { role: 'retry-images' }, text: T.tryAgain }) : null));
  }

  /** @param {boolean} [quiet]  keep the images shown until the new ones arrive */
  async function load(quiet = false) {
    if (!jobId) return;
    const mine = ++ticket;
    if (!quiet || !images.length) skeleton();
    let list;
    let regens;
    try {
      [list, regens] = await Promise.all([
        jobsApi.images(jobId, { qc: els.qc.value, sort: els.sort.value }),
        jobsApi.regenerations(jobId).catch(() => regenerations),
      ]);
    } catch (error) {
      if (mine !== ticket) return;
      loaded = false;
      const gone = /** @type {any} */ (error)?.kind === 'not_found';
      note(gone ? T.modalNotFound : T.galleryError, 'error', !gone);
      images = [];
      syncTools();
      return;
    }
    if (mine !== ticket) return;
    loaded = true;
    images = list;
    regenerations = regens;
    for (const id of [...picked]) if (!images.some((i) => i.id === id)) picked.delete(id);
    if (rejecting && !images.some((i) => i.id === rejecting?.id)) rejecting = null;
    announceOutcomes();
    render();
  }

  /** "Try again" after the images failed to load: the focus stays in the gallery. */
  async function retryImages() {
    await load();
    if (document.activeElement !== document.body) return;
    /** @type {HTMLElement} */ (els.grid.querySelector('[data-role="retry-images"], [data-role="pick"]') ?? els.qc).focus();
  }

  /** Say how the regenerations this view saw pending have ended. */
  function announceOutcomes() {
    for (const r of regenerations) {
      if (r.status === 'pending') {
        watching.add(r.id);
        continue;
      }
      if (!watching.delete(r.id)) continue;
      const n = r.source_index + 1;
      if (r.status === 'completed') {
        const text = G.regeneratedAs(n, (r.image_index ?? 0) + 1, r.qc_status);
        setText(els.status, text);
        notify(text, r.qc_status === 'passed' ? 'success' : 'info');
      } else {
        const text = r.status === 'failed' ? G.regenerationGaveUp(n, r.error?.message ?? '') : G.regenerationCancelled(n);
        setText(els.status, text);
        notify(text, r.status === 'failed' ? 'error' : 'info');
      }
    }
  }

  const pendingRegeneration = () => regenerations.find((r) => r.status === 'pending') ?? null;
  /** The newest regeneration of an image, if any. */
  const latestFor = (imageId) => regenerations.findLast((r) => r.source_image_id === imageId) ?? null;

  function render() {
    els.grid.setAttribute('aria-busy', 'false');
    if (!images.length) {
      note(els.qc.value ? T.galleryFilteredEmpty : FINISHED.has(jobStatus) ? G.noneGenerated(jobStatus) : T.galleryEmpty);
      syncTools();
      return;
    }
    const pending = pendingRegeneration();
    // A re-render (live events arrive at any time) must not lose the keyboard's place: the
    // control with the same role, image and verdict gets the focus back.
    const focused = /** @type {HTMLElement | null} */ (document.activeElement);
    const key = focused && els.grid.contains(focused) && focused.dataset.role && focused.dataset.id
      ? `[data-role="${focused.dataset.role}"][data-id="${focused.dataset.id}"]`
        + (focused.dataset.verdict ? `[data-verdict="${focused.dataset.verdict}"]` : '')
      : null;
    replaceChildren(els.grid, ...images.map(tile), pending && !els.qc.value ? placeholder(pending) : null);
    if (key) {
      // A replaced image loses its regenerate button: its first review button takes over.
      const again = els.grid.querySelector(key)
        ?? els.grid.querySelector(`[data-role="review"][data-id="${focused?.dataset.id}"]`);
      /** @type {HTMLElement | null} */ (again)?.focus();
    }
    syncTools();
  }

  /** Where the regenerated image will appear. */
  function placeholder(regeneration) {
    const n = regeneration.source_index + 1;
    return h('li', { class: 'gallery__item gallery__item--pending', dataset: { role: 'regenerating', source: regeneration.source_image_id } },
      h('div', { class: 'gallery__placeholder', role: 'img', 'aria-label': G.placeholderAlt(n) }, h('span', { class: 'spinner spinner--visible' }), icon('image')),
      h('p', { class: 'gallery__regen-note small', text: G.placeholder(n) }),
      h('p', { class: 'gallery__reason small', text: G.regenerating }));
  }

  /** The regenerate button (failed images) and what the image's regenerations say. */
  function regenerateParts(image, n, qc) {
    const latest = latestFor(image.id);
    const made = regenerations.find((r) => r.image_id === image.id);
    const busy = requesting.has(image.id) || latest?.status === 'pending';
    const notes = [];
    if (made) notes.push(h('p', { class: 'gallery__regen-note small', text: G.regeneratedFrom(made.source_index + 1) }));
    if (latest?.status === 'completed' && latest.image_index !== null) {
      notes.push(h('p', { class: 'gallery__regen-note small', text: G.replacedBy(latest.image_index + 1) }));
    } else if (latest?.status === 'failed') {
      notes.push(h('p', { class: 'gallery__regen-error small', text: G.regenerationGaveUp(n, latest.error?.message ?? '') }));
    } else if (latest?.status === 'cancelled') {
      notes.push(h('p', { class: 'gallery__regen-note small', text: G.regenerationCancelled(n) }));
    }
    // A replaced image is done with: its replacement is the one to regenerate if need be.
    const replaced = latest?.status === 'completed';
    if ((qc !== 'failed' || replaced) && !busy) return { notes, button: null };
    // aria-disabled (not disabled) keeps the button focusable while the job is busy.
    const blocked = busy || jobStatus !== 'completed' || pendingRegeneration() !== null;
    const button = h('button', {
      type: 'button', class: 'btn btn--secondary btn--small gallery__regen', dataset: { role: 'regenerate', id: image.id },
      'aria-label': busy ? G.regeneratingImage(n) : G.regenerateImage(n),
      'aria-disabled': blocked ? 'true' : null, 'aria-busy': busy ? 'true' : null,
      title: blocked && !busy ? G.regenerateBusy : null,
    }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), busy ? null : icon('refresh'),
    h('span', { text: busy ? G.regenerating : G.regenerate, 'aria-hidden': 'true' }));
    return { notes, button };
  }

  function tile(image) {
    const n = image.index + 1;
    const qc = image.qc_status in QC_LABELS ? image.qc_status : 'pending';
    const by = T.qcBy(image.qc_source);
    const regen = regenerateParts(image, n, qc);
    return h('li', { class: 'gallery__item', dataset: { id: image.id, qc } },
      h('a', { class: 'gallery__link', href: image.url, target: '_blank', rel: 'noopener' },
        h('img', {
          class: 'gallery__img', src: image.thumbnail_url, alt: T.imageAlt(n, imageCount, qc), loading: 'lazy',
          width: String(image.width), height: String(image.height),
        })),
      h('div', { class: 'gallery__meta' },
        h('label', { class: 'checkbox gallery__pick' },
          h('input', { type: 'checkbox', dataset: { role: 'pick', id: image.id }, checked: picked.has(image.id), 'aria-label': T.selectImage(n) }),
          h('span', { class: 'small', text: `#${n}` })),
        h('span', { class: 'qc-badge', dataset: { qc }, title: image.qc_reason ?? '' },
          icon(QC_ICONS[qc]), h('span', { text: QC_LABELS[qc] }),
          by ? h('span', { class: 'visually-hidden', text: ` ${by}` }) : null)),
      image.qc_reason ? h('p', { class: 'gallery__reason small', text: image.qc_reason }) : null,
      ...regen.notes,
      h('div', { class: 'gallery__actions' },
        h('button', {
          type: 'button', class: 'btn btn--secondary btn--small', dataset: { role: 'review', verdict: 'passed', id: image.id },
          'aria-pressed': qc === 'passed' ? 'true' : 'false', 'aria-label': T.approveImage(n),
        }, icon('check'), h('span', { text: T.approve, 'aria-hidden': 'true' })),
        h('button', {
          type: 'button', class: 'btn btn--secondary btn--small', dataset: { role: 'review', verdict: 'failed', id: image.id },
          'aria-pressed': qc === 'failed' ? 'true' : 'false', 'aria-label': T.rejectImage(n),
          'aria-expanded': rejecting?.id === image.id ? 'true' : 'false',
        }, icon('x'), h('span', { text: T.reject, 'aria-hidden': 'true' }))),
      rejecting?.id === image.id ? rejectForm(image, n, rejecting.draft) : null,
      regen.button);
  }

  /** Reject with an optional reason: Enter (or the button) rejects, Escape cancels. */
  function rejectForm(image, n, draft) {
    const field = `gallery-reason-${image.id}`;
    return h('form', { class: 'gallery__reject', dataset: { role: 'reject-form', id: image.id } },
      h('label', { class: 'small gallery__reject-label', for: field, text: T.rejectReason }),
      h('input', {
        type: 'text', class: 'input input--small', id: field, maxlength: '500', autocomplete: 'off',
        value: draft, dataset: { role: 'reason', id: image.id },
        'aria-label': T.rejectReasonFor(n), 'aria-describedby': `${field}-hint`,
      }),
      h('p', { class: 'small muted gallery__reject-hint', id: `${field}-hint`, text: T.rejectReasonHint }),
      h('div', { class: 'gallery__reject-actions' },
        h('button', {
          type: 'submit', class: 'btn btn--danger btn--small', dataset: { role: 'reject-confirm', id: image.id },
          'aria-label': T.rejectConfirmImage(n),
        }, h('span', { text: T.rejectConfirm, 'aria-hidden': 'true' })),
        h('button', {
          type: 'button', class: 'btn btn--ghost btn--small', dataset: { role: 'reject-cancel', id: image.id },
          'aria-label': T.rejectCancelImage(n),
        }, h('span', { text: T.rejectCancel, 'aria-hidden': 'true' }))));
  }

  function startReject(imageId) {
    rejecting = { id: imageId, draft: rejecting?.id === imageId ? rejecting.draft : '' };
    render();
    /** @type {HTMLElement | null} */ (els.grid.querySelector(`[data-role="reason"][data-id="${imageId}"]`))?.focus();
  }

  function cancelReject() {
    const id = rejecting?.id;
    rejecting = null;
    render();
    /** @type {HTMLElement | null} */ (els.grid.querySelector(`[data-role="review"][data-verdict="failed"][data-id="${id}"]`))?.focus();
  }

  function confirmReject() {
    if (!rejecting) return;
    const { id, draft } = rejecting;
    rejecting = null;
    review(id, 'failed', draft);
  }

  function syncTools() {
    const n = picked.size;
    const off = jobId === null; // closed, or the job could not be loaded
    els.qc.disabled = off;
    els.sort.disabled = off;
    // Busy, the button stays focusable (aria-disabled): the keyboard keeps its place.
    els.exportButton.disabled = !exporting && (n === 0 || off);
    if (exporting) els.exportButton.setAttribute('aria-disabled', 'true');
    else els.exportButton.removeAttribute('aria-disabled');
    els.exportButton.setAttribute('aria-busy', exporting ? 'true' : 'false');
    if (!exporting) setText(exportLabel, T.downloadSelected(off ? 0 : n));
    els.selectAll.disabled = off || images.length === 0;
    els.selectAll.checked = images.length > 0 && images.every((i) => picked.has(i.id));
    els.selectAll.indeterminate = n > 0 && !els.selectAll.checked;
  }

  async function review(imageId, verdict, reason = '') {
    const image = images.find((i) => i.id === imageId);
    if (!image) return;
    const before = { qc_status: image.qc_status, qc_source: image.qc_source, qc_reason: image.qc_reason };
    Object.assign(image, { qc_status: verdict, qc_source: 'manual' }); // optimistic
    if (reason.trim()) image.qc_reason = reason.trim();
    const focusKey = `[data-role="review"][data-verdict="${verdict}"][data-id="${imageId}"]`;
    render();
    /** @type {HTMLElement | null} */ (els.grid.querySelector(focusKey))?.focus();
    try {
      const saved = await saveReview(imageId, verdict, reason);
      Object.assign(image, saved);
      // The modal makes the rest of the page inert: say it in the modal's own status region.
      setText(els.status, T.reviewed(image.index + 1, verdict));
      onReviewed();
    } catch (error) {
      Object.assign(image, before);
      const text = T.reviewFailed(errorMessage(error));
      setText(els.status, text);
      notify(text, 'error');
    }
    // Under a QC filter the image may leave the list: its neighbour takes the focus.
    const position = images.indexOf(image);
    if (els.qc.value && image.qc_status !== els.qc.value) await load(true);
    else render();
    const again = /** @type {HTMLElement | null} */ (els.grid.querySelector(focusKey));
    if (again) again.focus();
    else if (!els.grid.contains(document.activeElement)) focusNear(position, verdict);
  }

  /** Focus the tile now at `position` (or the last one), else the QC filter. */
  function focusNear(position, verdict) {
    const neighbour = images[Math.min(position, images.length - 1)];
    const target = neighbour
      ? els.grid.querySelector(`[data-role="review"][data-verdict="${verdict}"][data-id="${neighbour.id}"]`)
      : null;
    /** @type {HTMLElement} */ (target ?? els.qc).focus();
  }

  async function regenerate(imageId) {
    const image = images.find((i) => i.id === imageId);
    if (!image || requesting.has(imageId)) return;
    const n = image.index + 1;
    const focusKey = `[data-role="regenerate"][data-id="${imageId}"]`;
    requesting.add(imageId);
    render();
    /** @type {HTMLElement | null} */ (els.grid.querySelector(focusKey))?.focus();
    try {
      const queued = await jobsApi.regenerate(imageId);
      if (jobId !== image.job_id) return;
      regenerations = [...regenerations.filter((r) => r.id !== queued.regeneration.id), queued.regeneration];
      watching.add(queued.regeneration.id);
      jobStatus = queued.job?.status ?? jobStatus;
      setText(els.status, G.regenerateQueued(n, queued.regeneration.seed));
      onReviewed();
    } catch (error) {
      const text = G.regenerateFailed(errorMessage(error));
      setText(els.status, text);
      notify(text, 'error');
    } finally {
      requesting.delete(imageId);
    }
    render();
    /** @type {HTMLElement | null} */ (els.grid.querySelector(focusKey))?.focus();
  }

  async function exportSelected() {
    const chosen = images.filter((i) => picked.has(i.id));
    if (!chosen.length || exporting) return;
    exporting = true;
    const expected = chosen.reduce((sum, i) => sum + (i.bytes ?? 0), 0) || 1;
    setText(exportLabel, G.exportBusy);
    setText(els.status, G.exportPreparing(chosen.length));
    syncTools();
    try {
      const zip = await jobsApi.exportImages(chosen.map((i) => i.id), (received) => {
        setText(exportLabel, G.exportProgress(Math.min(99, Math.floor((100 * received) / expected))));
      });
      const url = URL.createObjectURL(zip.blob);
      const a = h('a', { href: url, download: zip.filename, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const missing = Math.min(zip.missing, chosen.length);
      const exported = chosen.length - missing;
      const text = !missing ? G.exportDone(chosen.length)
        : exported === 0 ? T.exportNothing(missing)
          : `${G.exportDone(exported)} ${T.exportFilesMissing(missing)}`;
      setText(els.status, text);
      notify(text, !missing ? 'success' : exported === 0 ? 'error' : 'warning');
    } catch (error) {
      const text = G.exportFailed(errorMessage(error));
      setText(els.status, text);
      notify(text, 'error');
    } finally {
      exporting = false;
      syncTools();
      if (document.activeElement === document.body && !els.exportButton.disabled) els.exportButton.focus();
    }
  }

  els.grid.addEventListener('click', (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target.closest('button[data-role="retry-images"]')) { retryImages(); return; }
    if (target.closest('button[data-role="reject-cancel"]')) { cancelReject(); return; }
    const button = /** @type {HTMLElement | null} */ (target.closest('button[data-role="review"]'));
    if (button?.dataset.verdict === 'failed') startReject(button.dataset.id ?? '');
    else if (button) review(button.dataset.id ?? '', button.dataset.verdict ?? '');
    const regen = /** @type {HTMLElement | null} */ (target.closest('button[data-role="regenerate"]'));
    if (regen && regen.getAttribute('aria-disabled') !== 'true') regenerate(regen.dataset.id ?? '');
  });
  els.grid.addEventListener('submit', (event) => {
    event.preventDefault();
    confirmReject();
  });
  els.grid.addEventListener('input', (event) => {
    const field = /** @type {HTMLInputElement} */ (event.target);
    if (field.dataset.role === 'reason' && rejecting?.id === field.dataset.id) rejecting.draft = field.value;
  });
  els.grid.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !rejecting) return;
    if (!/** @type {HTMLElement} */ (event.target).closest('[data-role="reject-form"]')) return;
    event.preventDefault(); // cancels the reason, not the whole dialog
    event.stopPropagation();
    cancelReject();
  });
  els.grid.addEventListener('change', (event) => {
    const box = /** @type {HTMLInputElement} */ (event.target);
    if (box.dataset.role !== 'pick') return;
    if (box.checked) picked.add(box.dataset.id ?? '');
    else picked.delete(box.dataset.id ?? '');
    syncTools();
  });
  els.selectAll.addEventListener('change', () => {
    if (els.selectAll.checked) for (const i of images) picked.add(i.id);
    else picked.clear();
    for (const box of els.grid.querySelectorAll('input[data-role="pick"]')) /** @type {HTMLInputElement} */ (box).checked = els.selectAll.checked;
    syncTools();
  });
  els.qc.addEventListener('change', () => load());
  els.sort.addEventListener('change', () => load());
  els.exportButton.addEventListener('click', exportSelected);

  return {
    /** Show a job's images (from scratch). @param {string} id @param {number} [count] */
    open(id, count = 0) {
      jobId = id;
      imageCount = count;
      regenerations = [];
      watching.clear();
      requesting.clear();
      picked.clear();
      rejecting = null;
      els.qc.value = '';
      els.sort.value = 'index';
      return load();
    },
    reload: () => load(true),
    loading: skeleton,
    close() {
      jobId = null;
      ticket += 1;
      loaded = false;
      images = [];
      regenerations = [];
      watching.clear();
      requesting.clear();
      jobStatus = '';
      picked.clear();
      rejecting = null;
      syncTools();
    },
    /** The job's image count (alt text: "Image 3 of 16"). */
    setImageCount(value) {
      if (value === imageCount) return;
      imageCount = value;
      if (loaded) render();
    },
    /** The job's status (a regeneration can start only when it is completed). */
    setJobStatus(value) {
      if (value === jobStatus) return;
      jobStatus = value;
      if (loaded) render();
    },
    get count() { return images.length; },
  };
}
