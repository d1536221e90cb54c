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
 * @module components/preview
 */

import { COPY } from '../copy.js';
import { absoluteUrl, copyText, h, setText } from '../lib/dom.js';

/** Layers kept in the stage: the visible one and the one fading in. */
const MAX_LAYERS = 2;

/**
 * @param {{root: HTMLElement, stage: HTMLElement, placeholder: HTMLElement, caption: HTMLElement,
 *          results: HTMLElement, thumbs: HTMLElement, download: HTMLAnchorElement,
 *          open: HTMLAnchorElement, copyUrl: HTMLButtonElement,
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
    show({
      url: image.url,
      alt: COPY.finalAlt(index + 1, images.length, image.prompt ?? ''),
      caption: `${image.width} × ${image.height} · ${image.format?.toUpperCase() ?? ''} · seed ${image.seed}`,
      width: image.width,
      height: image.height,
    });
    els.download.href = image.url;
    els.download.setAttribute('download', `${fileStem}-${index + 1}.${image.format ?? 'png'}`);
    els.open.href = image.url;
    for (const [i, button] of [...els.thumbs.querySelectorAll('button')].entries()) {
      button.setAttribute('aria-pressed', String(i === index));
    }
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
     * The job's stored images (ImagePublic[]), shown in place of the preview.
     * @param {any[]} list
     * @param {{prompt: string, stem: string}} info
     */
    final(list, { prompt, stem }) {
      if (!list.length) return;
      showingFinal = true;
      fileStem = stem;
      images = list.map((image) => ({ ...image, prompt }));
      els.thumbs.replaceChildren(...images.map((image, i) => h('li', {},
        h('button', {
          type: 'button', class: 'thumb', 'aria-pressed': 'false',
          'aria-label': COPY.thumbLabel(i + 1),
          on: { click: () => selectImage(i) },
        }, h('img', { src: image.thumbnail_url, alt: '', width: '72', height: '72', loading: 'lazy' })))));
      els.thumbs.hidden = images.length < 2;
      els.results.hidden = false;
      selectImage(Math.min(selected, images.length - 1));
    },
    selectImage,
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
    /** Back to "no preview" (a retried job starts over). */
    resetFinal() {
      showingFinal = false;
      images = [];
      selected = 0;
      els.results.hidden = true;
      els.thumbs.replaceChildren();
    },
    get hasFinal() {
      return showingFinal;
    },
    get shownUrl() {
      return shownUrl;
    },
  };
}
