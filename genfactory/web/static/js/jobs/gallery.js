/**
 * The Single Job View's gallery: the job's images as a grid with their QC status (passed,
 * failed, pending — shown by icon and word, not colour alone), filtered by QC status and
 * sorted by the order generated, date or quality; approve or reject each by hand; select
 * some and export (download) them.
 *
 * @module jobs/gallery
 */

import { QC_LABELS, JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { jobsApi } from './api.js';

const QC_ICONS = { passed: 'check-circle', failed: 'x-circle', pending: 'clock' };

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
  /** @type {string | null} */
  let jobId = null;
  let prompt = '';
  /** @type {any[]} */
  let images = [];
  const picked = new Set();
  let ticket = 0;

  function skeleton() {
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
    try {
      list = await jobsApi.images(jobId, { qc: els.qc.value, sort: els.sort.value });
    } catch (error) {
      if (mine !== ticket) return;
      note(/** @type {any} */ (error)?.kind === 'not_found' ? T.modalNotFound : T.galleryError, 'error');
      images = [];
      syncTools();
      return;
    }
    if (mine !== ticket) return;
    images = list;
    for (const id of [...picked]) if (!images.some((i) => i.id === id)) picked.delete(id);
    render();
  }

  function render() {
    els.grid.setAttribute('aria-busy', 'false');
    if (!images.length) {
      note(els.qc.value ? T.galleryFilteredEmpty : T.galleryEmpty);
      syncTools();
      return;
    }
    replaceChildren(els.grid, ...images.map(tile));
    syncTools();
  }

  function tile(image) {
    const n = image.index + 1;
    const qc = image.qc_status in QC_LABELS ? image.qc_status : 'pending';
    const by = T.qcBy(image.qc_source);
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
      h('div', { class: 'gallery__actions' },
        h('button', {
          type: 'button', class: 'btn btn--secondary btn--small', dataset: { role: 'review', verdict: 'passed', id: image.id },
          'aria-pressed': qc === 'passed' ? 'true' : 'false', 'aria-label': T.approveImage(n),
        }, icon('check'), h('span', { text: T.approve, 'aria-hidden': 'true' })),
        h('button', {
          type: 'button', class: 'btn btn--secondary btn--small', dataset: { role: 'review', verdict: 'failed', id: image.id },
          'aria-pressed': qc === 'failed' ? 'true' : 'false', 'aria-label': T.rejectImage(n),
        }, icon('x'), h('span', { text: T.reject, 'aria-hidden': 'true' }))));
  }

  function syncTools() {
    const n = picked.size;
    els.exportButton.disabled = n === 0;
    setText(/** @type {HTMLElement} */ (els.exportButton.querySelector('span')), T.downloadSelected(n));
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

  els.grid.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-role="review"]');
    if (button) review(/** @type {HTMLElement} */ (button).dataset.id ?? '', /** @type {HTMLElement} */ (button).dataset.verdict ?? '');
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
  els.exportButton.addEventListener('click', () => {
    // The API exports whole jobs; selected images are downloaded as their files.
    const chosen = images.filter((i) => picked.has(i.id));
    chosen.forEach((image, k) => {
      window.setTimeout(() => {
        const a = h('a', { href: image.url, download: `${jobId}-${image.index + 1}.${image.format ?? 'png'}`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
      }, k * 250);
    });
    setText(els.status, T.downloadStarted(chosen.length));
    notify(T.downloadStarted(chosen.length), 'success');
  });

  return {
    /** Show a job's images (from scratch). */
    open(id, jobPrompt) {
      jobId = id;
      prompt = jobPrompt;
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
      images = [];
      picked.clear();
    },
    setPrompt(value) { prompt = value; },
    get count() { return images.length; },
  };
}
