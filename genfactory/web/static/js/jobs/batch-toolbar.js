/**
 * The batch toolbar: "N jobs selected", Rerun / Export / Delete Selected, Clear Selection
 * (all disabled with nothing selected), the progress of a long batch operation (with
 * Cancel), and the queue of reruns ("2 queued · 1 running · 3 completed").
 *
 * @module jobs/batch-toolbar
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, setText } from '../lib/dom.js';

/**
 * The state of the reruns the page started, kept up to date from the global stream.
 * Pure: no DOM.
 */
/** How many statuses of not-yet-known jobs the rerun queue remembers. */
const EARLY_LIMIT = 500;

export function createRerunQueue() {
  /** @type {Map<string, string>} job id → status */
  const jobs = new Map();
  /**
   * Statuses of jobs not (yet) ours: a worker may start a rerun before the request that
   * queued it has answered, so its `running` event arrives first. Bounded.
   * @type {Map<string, string>}
   */
  const early = new Map();
  return {
    /** @param {Array<{job_id: string, status?: string}>} list */
    add(list) {
      for (const j of list) {
        jobs.set(j.job_id, early.get(j.job_id) ?? j.status ?? 'queued');
        early.delete(j.job_id);
      }
    },
    /** @returns {boolean} whether the job is one of ours */
    update(jobId, status) {
      if (!jobs.has(jobId)) {
        early.delete(jobId);
        early.set(jobId, status);
        if (early.size > EARLY_LIMIT) early.delete(early.keys().next().value);
        return false;
      }
      jobs.set(jobId, status);
      return true;
    },
    has: (jobId) => jobs.has(jobId),
    get size() { return jobs.size; },
    counts() {
      const c = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
      for (const s of jobs.values()) {
        if (s === 'uploading' || s === 'running') c.running += 1;
        else if (s in c) c[/** @type {'queued'} */ (s)] += 1;
      }
      return c;
    },
    /** Whether every rerun has finished (the indicator can be dismissed). */
    get settled() {
      return [...jobs.values()].every((s) => s === 'completed' || s === 'failed' || s === 'cancelled');
    },
    clear() { jobs.clear(); },
  };
}

/**
 * @param {{onRerun: () => void, onExport: () => void, onDelete: () => void, onClear: () => void,
 *          onCancel: () => void}} actions
 */
export function createBatchToolbar(actions) {
  const els = {
    root: $(S.batch),
    count: $(S.batchCount),
    hidden: $(S.batchHidden),
    rerun: /** @type {HTMLButtonElement} */ ($(S.batchRerun)),
    exportButton: /** @type {HTMLButtonElement} */ ($(S.batchExport)),
    deleteButton: /** @type {HTMLButtonElement} */ ($(S.batchDelete)),
    clear: /** @type {HTMLButtonElement} */ ($(S.batchClear)),
    progress: $(S.batchProgress),
    bar: /** @type {HTMLProgressElement} */ ($(S.batchProgressBar)),
    text: $(S.batchProgressText),
    cancel: $(S.batchProgressCancel),
    queue: $(S.rerunQueue),
  };
  const busy = { rerun: false, export: false, delete: false };
  // A busy button is aria-disabled, not disabled: a disabled button drops the keyboard focus
  // to the page's body (the button just pressed, or the one a confirm dialog returns to).
  els.rerun.addEventListener('click', () => { if (!busy.rerun) actions.onRerun(); });
  els.exportButton.addEventListener('click', () => { if (!busy.export) actions.onExport(); });
  els.deleteButton.addEventListener('click', () => { if (!busy.delete) actions.onDelete(); });
  els.clear.addEventListener('click', actions.onClear);
  els.cancel.addEventListener('click', actions.onCancel);
  let count = 0;

  /** @param {HTMLButtonElement} button @param {boolean} none @param {boolean} working */
  function state(button, none, working) {
    button.disabled = none;
    if (working && !none) button.setAttribute('aria-disabled', 'true');
    else button.removeAttribute('aria-disabled');
  }

  function sync() {
    const none = count === 0;
    state(els.rerun, none, busy.rerun);
    state(els.exportButton, none, busy.export);
    state(els.deleteButton, none, busy.delete);
    els.clear.disabled = none;
    els.root.dataset.selected = none ? 'false' : 'true';
    offset();
  }

  /**
   * While it sticks to the bottom, the toolbar's height is the page's --jobs-batch-offset:
   * the room kept under a focused row (scroll-padding) and under the toasts (jobs.css).
   */
  function offset() {
    const stuck = els.root.dataset.selected === 'true' && !els.root.hidden;
    const height = stuck ? Math.ceil(els.root.getBoundingClientRect().height) : 0;
    document.documentElement.style.setProperty('--jobs-batch-offset', `${height}px`);
  }
  if (typeof ResizeObserver === 'function') new ResizeObserver(offset).observe(els.root);

  return {
    /**
     * How far the toolbar covers the bottom of the viewport where `el` is (0 when it does
     * not stick, or `el` is not under it): what to scroll so a focused row shows above it.
     * @param {HTMLElement} el
     */
    covering(el) {
      if (els.root.dataset.selected !== 'true') return 0;
      const bar = els.root.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      if (bar.height === 0 || r.bottom <= bar.top || r.top >= bar.bottom) return 0;
      return r.bottom - bar.top;
    },
    /**
     * @param {{size: number, mode: string}} selection
     * @param {number} [notShown]  selected jobs not in the table now (other pages or filters)
     */
    render(selection, notShown = 0) {
      count = selection.size;
      setText(els.count, selection.mode === 'matching' ? T.selectedMatching(count) : T.selectedCount(count));
      els.hidden.hidden = notShown === 0;
      setText(els.hidden, notShown ? T.notShown(notShown) : '');
      sync();
    },
    /** @param {'rerun' | 'export' | 'delete'} which */
    setBusy(which, on) {
      busy[which] = on;
      const button = which === 'rerun' ? els.rerun : which === 'export' ? els.exportButton : els.deleteButton;
      if (on) button.setAttribute('aria-busy', 'true');
      else button.removeAttribute('aria-busy');
      sync();
    },
    /**
     * @param {{text: string, percent: number | null, cancellable?: boolean, tone?: string} | null} state
     */
    progress(state) {
      els.progress.hidden = state === null;
      if (!state) return;
      setText(els.text, state.text);
      if (state.percent === null) els.bar.removeAttribute('value');
      else els.bar.value = state.percent;
      els.progress.dataset.tone = state.tone ?? '';
      els.cancel.hidden = !state.cancellable;
    },
    /** @param {string | null} text */
    queue(text) {
      els.queue.hidden = !text;
      setText(els.queue, text ?? '');
    },
  };
}
