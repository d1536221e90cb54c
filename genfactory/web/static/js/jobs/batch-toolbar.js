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
  els.rerun.addEventListener('click', actions.onRerun);
  els.exportButton.addEventListener('click', actions.onExport);
  els.deleteButton.addEventListener('click', actions.onDelete);
  els.clear.addEventListener('click', actions.onClear);
  els.cancel.addEventListener('click', actions.onCancel);
  const busy = { rerun: false, export: false, delete: false };
  let count = 0;

  function sync() {
    const none = count === 0;
    els.rerun.disabled = none || busy.rerun;
    els.exportButton.disabled = none || busy.export;
    els.deleteButton.disabled = none || busy.delete;
    els.clear.disabled = none;
    els.root.dataset.selected = none ? 'false' : 'true';
  }

  return {
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
