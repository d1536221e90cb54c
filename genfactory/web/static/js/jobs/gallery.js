/**
 * The Single Job View's gallery: the job's images as a grid with their QC status (passed,
 * failed, pending — shown by icon and word, not colour alone), filtered by QC status and
 * sorted by the order generated, date or quality; approve or reject each by hand;
 * regenerate a failed one (the job makes a new image with a new seed; a placeholder tile
 * and a busy button show it until the job's stream says the new image is there); select
 * some and export them as one ZIP.
 *
 * @module jobs/gallery
 */

import { GALLERY_COPY as G } from '../copy.js';
import { QC_LABELS, JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { jobsApi } from './api.js';

const QC_ICONS = { passed: 'check-circle', failed: 'x-circle', pending: 'clock' };
/** Statuses after which no image will come (until a retry): an empty gallery says so. */
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

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
  let prompt = '';
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

  function note(text, tone = '') {
    els.grid.setAttribute('aria-busy', 'false');
    replaceChildren(els.grid, h('li', { class: `gallery__note${tone ? ` tone-${tone}` : ''}` },
      tone === 'error' ? icon('alert') : icon('image'),
      h('span', { text })));
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
      note(/** @type {any} */ (error)?.kind === 'not_found' ? T.modalNotFound : T.galleryError, 'error');
      images = [];
      syncTools();
      return;
    }
    if (mine !== ticket) return;
    loaded = true;
    images = list;
    regenerations = regens;
    for (const id of [...picked]) if (!images.some((i) => i.id === id)) picked.delete(id);
    announceOutcomes();
    render();
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
          class: 'gallery__img', src: image.thumbnail_url, alt: T.imageAlt(n, prompt), loading: 'lazy',
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
        }, icon('x'), h('span', { text: T.reject, 'aria-hidden': 'true' }))),
      regen.button);
  }

  function syncTools() {
    const n = picked.size;
    els.exportButton.disabled = n === 0 || exporting;
    els.exportButton.setAttribute('aria-busy', exporting ? 'true' : 'false');
    if (!exporting) setText(exportLabel, T.downloadSelected(n));
    els.selectAll.disabled = images.length === 0;
    els.selectAll.checked = images.length > 0 && images.every((i) => picked.has(i.id));
    els.selectAll.indeterminate = n > 0 && !els.selectAll.checked;
  }

  async function review(imageId, verdict) {
    const image = images.find((i) => i.id === imageId);
    if (!image) return;
    const before = { qc_status: image.qc_status, qc_source: image.qc_source };
    Object.assign(image, { qc_status: verdict, qc_source: 'manual' }); // optimistic
    const focusKey = `[data-role="review"][data-verdict="${verdict}"][data-id="${imageId}"]`;
    render();
    /** @type {HTMLElement | null} */ (els.grid.querySelector(focusKey))?.focus();
    try {
      const saved = await jobsApi.review(imageId, verdict);
      Object.assign(image, saved);
      // The modal makes the rest of the page inert: say it in the modal's own status region.
      setText(els.status, T.reviewed(image.index + 1, verdict));
      onReviewed();
    } catch (error) {
      Object.assign(image, before);
      const text = T.reviewFailed(/** @type {any} */ (error)?.message ?? String(error));
      setText(els.status, text);
      notify(text, 'error');
    }
    if (els.qc.value && image.qc_status !== els.qc.value) await load(true);
    else render();
    /** @type {HTMLElement | null} */ (els.grid.querySelector(focusKey))?.focus();
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
      const text = G.regenerateFailed(/** @type {any} */ (error)?.message ?? String(error));
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
      const text = zip.missing ? `${G.exportDone(chosen.length - zip.missing)} ${G.exportMissing(zip.missing)}` : G.exportDone(chosen.length);
      setText(els.status, text);
      notify(text, zip.missing ? 'info' : 'success');
    } catch (error) {
      const text = G.exportFailed(/** @type {any} */ (error)?.message ?? String(error));
      setText(els.status, text);
      notify(text, 'error');
    } finally {
      exporting = false;
      syncTools();
    }
  }

  els.grid.addEventListener('click', (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const button = target.closest('button[data-role="review"]');
    if (button) review(/** @type {HTMLElement} */ (button).dataset.id ?? '', /** @type {HTMLElement} */ (button).dataset.verdict ?? '');
    const regen = /** @type {HTMLElement | null} */ (target.closest('button[data-role="regenerate"]'));
    if (regen && regen.getAttribute('aria-disabled') !== 'true') regenerate(regen.dataset.id ?? '');
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
    /** Show a job's images (from scratch). */
    open(id, jobPrompt) {
      jobId = id;
      prompt = jobPrompt;
      regenerations = [];
      watching.clear();
      requesting.clear();
      picked.clear();
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
    },
    setPrompt(value) { prompt = value; },
    /** The job's status (a regeneration can start only when it is completed). */
    setJobStatus(value) {
      if (value === jobStatus) return;
      jobStatus = value;
      if (loaded) render();
    },
    get count() { return images.length; },
  };
}
