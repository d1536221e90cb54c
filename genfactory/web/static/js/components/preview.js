/**
 * The preview / result panel.
 *
 * Previews: each new URL is decoded off-screen first, then faded in over the previous
 * one (180 ms, `--duration-fade`; 0 ms under prefers-reduced-motion), so the panel never
 * flashes empty and a failed load keeps the last good preview. Updates that arrive while
 * one is loading are coalesced: only the newest is shown.
 *
 * Results: the final image(s), thumbnails when there are several, and Download / Open /
 * Copy URL for the selected one. A finished job that made no image says so in place of
 * the "waiting" skeleton.
 *
 * Quality checks: each thumbnail carries its QC badge (passed, failed, pending, or
 * replaced once a regeneration made an image in its place), shown by icon and word, not
 * colour alone, as in the Single Job View's gallery; the selected image's verdict and
 * reason are spelled out under the thumbnails. While a regeneration runs, the images and
 * the selection stay, with a placeholder thumbnail for the one being made.
 *
 * @module components/preview
 */

import { COPY, GALLERY_COPY } from '../copy.js';
import { absoluteUrl, copyText, h, icon, setText } from '../lib/dom.js';

/** Layers kept in the stage: the visible one and the one fading in. */
const MAX_LAYERS = 2;

const QC_ICONS = Object.freeze({ passed: 'check-circle', failed: 'x-circle', pending: 'clock', replaced: 'refresh' });
const VERDICTS = new Set(['passed', 'failed', 'pending']);

/**
 * An image's QC state as the results panel shows it. A completed regeneration of the image
 * (GET /api/jobs/{id}/regenerations) makes it "replaced": its replacement is the one that
 * counts. An unknown verdict reads as pending.
 * @param {any} image ImageDetail
 * @param {any[]} [regenerations] RegenerationPublic[], oldest first
 */
export function qcState(image, regenerations = []) {
  const mine = regenerations.filter((r) => r.source_image_id === image.id);
  const latest = mine[mine.length - 1] ?? null;
  const made = regenerations.find((r) => r.image_id === image.id);
  const verdict = VERDICTS.has(image.qc_status) ? image.qc_status : 'pending';
  const replaced = latest?.status === 'completed' && latest.image_index !== null && latest.image_index !== undefined;
  return {
    qc: replaced ? 'replaced' : verdict,
    verdict,
    replacedBy: replaced ? latest.image_index + 1 : null,
    regeneratedFrom: made ? made.source_index + 1 : null,
    regenerating: latest?.status === 'pending',
    byHand: image.qc_source === 'manual',
  };
}

/**
 * How many images are in each QC state (for the completed banner).
 * @param {any[]} images
 * @param {any[]} [regenerations]
 */
export function qcCounts(images, regenerations = []) {
  const counts = { passed: 0, failed: 0, pending: 0, replaced: 0 };
  for (const image of images) counts[qcState(image, regenerations).qc] += 1;
  return counts;
}

/** The number people see for an image ("image 3", "#3"): its index from 1. */
const numberOf = (image, position) => (Number.isInteger(image?.index) ? image.index : position) + 1;

/** @param {string} qc @param {string} [id] */
function qcBadge(qc, id) {
  return h('span', { class: 'qc-badge', id, dataset: { qc } }, icon(QC_ICONS[qc] ?? 'clock'), h('span', { text: COPY.qcLabels[qc] ?? qc }));
}

/**
 * @param {{root: HTMLElement, stage: HTMLElement, placeholder: HTMLElement, caption: HTMLElement,
 *          results: HTMLElement, thumbs: HTMLElement, download: HTMLAnchorElement,
 *          open: HTMLAnchorElement, copyUrl: HTMLButtonElement, resultQc?: HTMLElement,
 *          onCopied?: (ok: boolean) => void}} els
 */
export function createPreview(els) {
  let shownUrl = null;
  let loading = false;
  /** @type {{url: string, alt: string, caption: string, width?: number, height?: number} | null} */
  let pending = null;
  /** @type {any[]} */
  let images = [];
  let selected = 0;
  let fileStem = 'image';
  let showingFinal = false;
  /** @type {any[]} the job's regenerations, oldest first */
  let regenerations = [];

  function setAspect(width, height) {
    if (width > 0 && height > 0) els.stage.style.aspectRatio = `${width} / ${height}`;
  }

  async function load(next) {
    loading = true;
    const img = h('img', { class: 'preview__layer', alt: next.alt, decoding: 'async' });
    img.src = next.url;
    try {
      await img.decode();
    } catch {
      loading = false; // keep the last good preview; a newer one may come
      drain();
      return;
    }
    setAspect(next.width ?? img.naturalWidth, next.height ?? img.naturalHeight);
    els.placeholder.hidden = true;
    els.stage.append(img);
    // Start from transparent, then fade in on the next frame.
    void img.offsetWidth;
    img.classList.add('is-visible');
    shownUrl = next.url;
    setText(els.caption, next.caption);
    els.root.dataset.state = showingFinal ? 'final' : 'streaming';
    const layers = els.stage.querySelectorAll('.preview__layer');
    const old = [...layers].slice(0, Math.max(0, layers.length - 1));
    const done = () => {
      for (const layer of old) layer.remove();
      loading = false;
      drain();
    };
    const duration = parseFloat(getComputedStyle(img).transitionDuration) || 0;
    if (duration > 0 && old.length) {
      let finished = false;
      const finish = () => { if (!finished) { finished = true; done(); } };
      img.addEventListener('transitionend', finish, { once: true });
      window.setTimeout(finish, duration * 1000 + 80);
    } else {
      done();
    }
    // Never let layers pile up if transitions are starved.
    while (els.stage.querySelectorAll('.preview__layer').length > MAX_LAYERS + 1) {
      els.stage.querySelector('.preview__layer')?.remove();
    }
  }

  function drain() {
    if (loading || !pending) return;
    const next = pending;
    pending = null;
    if (next.url === shownUrl) return;
    load(next);
  }

  function show(next) {
    pending = next;
    drain();
  }

  function selectImage(index) {
    const image = images[index];
    if (!image) return;
    selected = index;
    const n = numberOf(image, index);
    show({
      url: image.url,
      alt: COPY.finalAlt(n, images.length, image.prompt ?? ''),
      caption: `${image.width} × ${image.height} · ${image.format?.toUpperCase() ?? ''} · seed ${image.seed}`,
      width: image.width,
      height: image.height,
    });
    els.download.href = image.url;
    els.download.setAttribute('download', `${fileStem}-${n}.${image.format ?? 'png'}`);
    els.open.href = image.url;
    for (const [i, button] of [...els.thumbs.querySelectorAll('button')].entries()) {
      button.setAttribute('aria-pressed', String(i === index));
    }
    renderVerdict();
  }

  /** The selected image's QC verdict, reason and regeneration notes, in words. */
  function renderVerdict() {
    const image = images[selected];
    if (!els.resultQc) return;
    if (!image) {
      els.resultQc.hidden = true;
      els.resultQc.replaceChildren();
      return;
    }
    const state = qcState(image, regenerations);
    const n = numberOf(image, selected);
    const lines = [COPY.qcVerdict(n, state.verdict, image.qc_reason ?? '')];
    if (state.byHand) lines.push(COPY.qcByHand);
    if (state.regeneratedFrom) lines.push(`${GALLERY_COPY.regeneratedFrom(state.regeneratedFrom)}.`);
    if (state.replacedBy) lines.push(`${GALLERY_COPY.replacedBy(state.replacedBy)}.`);
    else if (state.regenerating) lines.push(COPY.qcRegenerating(n));
    els.resultQc.dataset.qc = state.qc;
    els.resultQc.replaceChildren(qcBadge(state.qc), h('span', { class: 'results__qc-text', text: lines.join(' ') }));
    els.resultQc.hidden = false;
  }

  /** The thumbnails with their QC badges, and a placeholder for an image being regenerated;
   *  the keyboard stays on the thumbnail it was on. */
  function renderThumbs() {
    const buttons = [...els.thumbs.querySelectorAll('button')];
    const focused = buttons.indexOf(/** @type {any} */ (document.activeElement));
    const pending = regenerations.find((r) => r.status === 'pending') ?? null;
    const items = images.map((image, i) => {
      const { qc } = qcState(image, regenerations);
      const badgeId = `thumb-qc-${i + 1}`;
      return h('li', { class: 'thumbs__item', dataset: { qc, id: image.id } },
        h('button', {
          type: 'button', class: 'thumb', 'aria-pressed': String(i === selected),
          'aria-label': COPY.thumbLabel(numberOf(image, i)), 'aria-describedby': badgeId,
          on: { click: () => selectImage(i) },
        }, h('img', { src: image.thumbnail_url, alt: '', width: '72', height: '72', loading: 'lazy' })),
        qcBadge(qc, badgeId));
    });
    if (pending) {
      const n = pending.source_index + 1;
      items.push(h('li', { class: 'thumbs__item thumbs__item--pending', dataset: { role: 'regenerating' } },
        h('div', { class: 'thumb thumb--placeholder', role: 'img', 'aria-label': GALLERY_COPY.placeholderAlt(n) },
          h('span', { class: 'spinner spinner--visible', 'aria-hidden': 'true' })),
        h('span', { class: 'qc-badge', dataset: { qc: 'pending' } }, icon('clock'), h('span', { text: COPY.qcPlaceholder(n) }))));
    }
    els.thumbs.replaceChildren(...items);
    els.thumbs.hidden = items.length < 2;
    if (focused >= 0) /** @type {HTMLElement | undefined} */ (els.thumbs.querySelectorAll('button')[focused])?.focus();
  }

  els.copyUrl.addEventListener('click', async () => {
    const image = images[selected];
    if (!image) return;
    const ok = await copyText(absoluteUrl(image.url));
    els.onCopied?.(ok);
  });

  return {
    /** A new live preview (ignored once the final images are shown). */
    preview(url, { step = null, width, height } = {}) {
      if (!url || showingFinal) return;
      show({ url, alt: COPY.previewAlt(step), caption: step ? `Step ${step}` : '', width, height });
    },
    /**
     * The job's stored images (ImageDetail[]), shown in place of the preview. A new list
     * (a regenerated image came, a verdict changed) keeps the selected image selected.
     * @param {any[]} list
     * @param {{prompt: string, stem: string, regenerations?: any[]}} info
     */
    final(list, { prompt, stem, regenerations: made = regenerations }) {
      if (!list.length) return;
      const selectedId = images[selected]?.id;
      showingFinal = true;
      fileStem = stem;
      regenerations = made;
      images = list.map((image) => ({ ...image, prompt }));
      const kept = images.findIndex((image) => image.id === selectedId);
      selected = kept >= 0 ? kept : Math.min(selected, images.length - 1);
      renderThumbs();
      els.results.hidden = false;
      selectImage(selected);
    },
    /**
     * The job's regenerations changed (one started, or ended): badges, placeholder and
     * the selected image's notes follow; the images and the selection stay.
     * @param {any[]} list
     */
    setRegenerations(list) {
      regenerations = list;
      if (!showingFinal) return;
      renderThumbs();
      renderVerdict();
    },
    selectImage,
    /** How many of the shown images are in each QC state, or null before there are any. */
    get qcCounts() {
      return showingFinal ? qcCounts(images, regenerations) : null;
    },
    get imageCount() {
      return images.length;
    },
    /**
     * What the empty panel says: waiting for the first preview (null), or that none will
     * come (a finished job that made no image). The shimmer goes with the waiting.
     * @param {string | null} text
     */
    noImage(text) {
      const label = els.placeholder.querySelector('span');
      if (label) setText(label, text ?? COPY.waitingPreview);
      els.placeholder.classList.toggle('skeleton', !text);
      els.placeholder.classList.toggle('preview__placeholder--none', Boolean(text));
      if (!shownUrl && !showingFinal) els.root.dataset.state = text ? 'none' : 'empty';
    },
    /** The job is not loaded yet: a plain skeleton. "Waiting for first preview…" could be
     *  wrong (the job may have finished long ago); render() says what applies once known. */
    loading() {
      const label = els.placeholder.querySelector('span');
      if (label) setText(label, '');
      els.placeholder.classList.add('skeleton');
      els.placeholder.classList.remove('preview__placeholder--none');
    },
    /** Back to "no preview" (a retried job starts over). */
    resetFinal() {
      showingFinal = false;
      images = [];
      selected = 0;
      regenerations = [];
      els.results.hidden = true;
      els.thumbs.replaceChildren();
      renderVerdict();
    },
    get hasFinal() {
      return showingFinal;
    },
    get shownUrl() {
      return shownUrl;
    },
  };
}
