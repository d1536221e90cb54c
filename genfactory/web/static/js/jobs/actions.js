/**
 * What the page does to jobs, one at a time or in bulk: rerun (tracking the reruns' queue —
 * "2 queued · 1 running · 3 completed" — from the live stream), export to Excel (following
 * the tracked operation, then downloading the file), delete (after a confirmation dialog that
 * names the count, and how many picked jobs are running and left alone). Bulk actions send
 * the selection's ids (an export also the filters they were picked under), or its filter
 * with the count seen.
 *
 * @module jobs/actions
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { COPY } from '../copy.js';
import { $, announce, setText } from '../lib/dom.js';
import { confirmDialog } from '../components/dialog.js';
import { jobsApi } from './api.js';
import { createRerunQueue } from './batch-toolbar.js';
import { ACTIVE_STATUSES } from './format.js';
import { downloadExport, followOperation } from './operations.js';

const QUEUE_LINGER_MS = 15000;

/**
 * The picked ids split into those a delete can take and those it would skip (running, as
 * far as the page knows each one's status).
 * @param {string[]} ids
 * @param {(id: string) => any} jobFor
 * @returns {{deletable: string[], running: string[]}}
 */
export function splitRunning(ids, jobFor) {
  const deletable = [];
  const running = [];
  // A worker holds an active job: the server does not delete it (cancel it first).
  for (const id of ids) (ACTIVE_STATUSES.has(jobFor(id)?.status) ? running : deletable).push(id);
  return { deletable, running };
}

/**
 * Whether a failure means the server did not answer (no connection, or a proxy's 502–504):
 * the page's "Server unavailable". A 500 is the server answering with an error.
 */
export const unreachable = (error) => Boolean(error?.unavailable) && !error?.serverFault;

/**
 * A failure in words: "Server unavailable." when it did not answer; the server's own message
 * when it answered with one (a 500 may carry one); else what happened.
 */
export function message(error) {
  if (error?.serverFault) {
    const detail = error.detail;
    const said = typeof detail === 'string' ? detail : typeof detail?.message === 'string' ? detail.message : '';
    return said.trim() || COPY.serverErrorHelp(error.status);
  }
  return unreachable(error) ? COPY.serverUnavailable : error?.message ?? String(error);
}

/**
 * @param {{
 *   toolbar: ReturnType<typeof import('./batch-toolbar.js').createBatchToolbar>,
 *   selection: ReturnType<typeof import('./selection.js').createSelection>,
 *   jobFor: (id: string) => any,
 *   notify: (text: string, tone?: any) => void,
 *   onChanged: (what: 'deleted' | 'rerun' | 'recount') => (void | Promise<void>),
 *   onServerDown: (error: any) => void,
 *   pickedUnder?: () => Record<string, any>,
 * }} options
 *   pickedUnder: the page's filters now (the API's filter object), recorded by an export of
 *   picked ids as the filters they were picked under
 */
export function createJobActions({ toolbar, selection, jobFor, notify, onChanged, onServerDown, pickedUnder }) {
  const reruns = createRerunQueue();
  /** @type {{stop: () => void, id: string} | null} the operation being followed */
  let followed = null;
  let queueTimer = 0;
  /** Bulk delete requests of this page under way (their notice may come before the answer). */
  let deleting = 0;
  /**
   * Ids this page deleted: the live stream's notice for them may come after the answer, and
   * must not be announced as "deleted elsewhere". Bounded (the oldest go first).
   * @type {Set<string>}
   */
  const deletedHere = new Set();
  const DELETED_HERE_LIMIT = 5000;
  /** @param {string[]} ids */
  function rememberDeleted(ids) {
    for (const id of ids) {
      deletedHere.delete(id);
      deletedHere.add(id);
    }
    while (deletedHere.size > DELETED_HERE_LIMIT) deletedHere.delete(deletedHere.values().next().value);
  }

  /** @param {(text: string) => void} report */
  async function rerunOne(id, report) {
    try {
      const job = await jobsApi.rerun(id);
      reruns.add([{ job_id: job.id, status: job.status }]);
      renderQueue();
      onChanged('rerun');
      report(T.rerunStarted(job.short_id)); // a toast or the modal's status: both are live regions
    } catch (error) {
      notify(T.actionFailed(message(error)), 'error');
    }
  }

  // ---- batch operations ---------------------------------------------------------------

  function renderQueue() {
    if (!reruns.size) {
      toolbar.queue(null);
      return;
    }
    toolbar.queue(T.rerunQueue(reruns.counts()));
    window.clearTimeout(queueTimer);
    if (reruns.settled) {
      queueTimer = window.setTimeout(() => {
        if (!reruns.settled) return;
        reruns.clear();
        toolbar.queue(null);
      }, QUEUE_LINGER_MS);
    }
  }

  /**
   * The page's confirmation dialog, worded for one action. Resolves true on confirm.
   * @param {{title: string, body: string, ok: string, keep: string, danger: boolean}} words
   */
  function ask({ title, body, ok, keep, danger }) {
    setText($(S.confirmTitle), title);
    setText($(S.confirmBody), body);
    setText($(S.confirmOk), ok);
    setText($(S.confirmKeep), keep);
    $(S.confirmOk).classList.toggle('btn--danger', danger);
    $(S.confirmOk).classList.toggle('btn--primary', !danger);
    return confirmDialog(/** @type {HTMLDialogElement} */ ($(S.confirmDialog)), { confirm: $(S.confirmOk), keep: $(S.confirmKeep) });
  }

  async function rerunSelected() {
    const count = selection.size;
    if (!count) return;
    const body = selection.body(); // what the dialog names, not what may have changed meanwhile
    // Every rerun is a new job that spends provider time (money, with a paid provider).
    const yes = await ask({ title: T.rerunTitle(count), body: T.rerunBody, ok: T.rerunConfirm(count), keep: T.rerunKeep, danger: false });
    if (!yes || !selection.size) return;
    toolbar.setBusy('rerun', true);
    try {
      const result = await jobsApi.bulkRerun(body);
      if (result.jobs) {
        reruns.add(result.jobs.map((j) => ({ job_id: j.job_id, status: 'queued' })));
        // Said once: the toast is in a polite live region (no announce() as well).
        notify(T.rerunQueued(result.jobs.length), 'success');
      } else {
        const op = await track(result.operation, (o) => ({ text: T.rerunOperation(o.done, o.total), percent: o.percent, cancellable: true }));
        const jobs = op.result?.jobs ?? [];
        reruns.add(jobs.map((j) => ({ job_id: j.job_id, status: 'queued' })));
        if (op.status === 'completed') notify(T.rerunQueued(jobs.length), 'success');
        toolbar.progress(null);
      }
      if (result.skipped?.length) notify(T.rerunSkipped(result.skipped.length), 'warning');
      renderQueue();
      onChanged('rerun');
    } catch (error) {
      if (error?.status === 409) await countChanged(error);
      else batchFailed(error);
    } finally {
      toolbar.setBusy('rerun', false);
    }
  }

  /**
   * Follow an operation, showing its progress in the toolbar; resolves with its final state.
   * @param {any} operation
   * @param {(op: any) => {text: string, percent: number | null, cancellable?: boolean}} view
   */
  async function track(operation, view) {
    followed?.stop();
    const follower = followOperation(operation, (op) => toolbar.progress(view(op)));
    followed = { stop: follower.stop, id: operation.id };
    const final = await follower.done;
    if (followed?.id === operation.id) followed = null;
    return final;
  }

  async function exportSelected() {
    if (!selection.size) return;
    toolbar.setBusy('export', true);
    try {
      toolbar.progress({ text: T.exportStarting, percent: null });
      const op = await jobsApi.exportMany(exportBody());
      await finishExport(op, (view) => toolbar.progress(view));
    } catch (error) {
      toolbar.progress(null);
      batchFailed(error);
    } finally {
      toolbar.setBusy('export', false);
    }
  }

  /**
   * What Export Selected sends: "all N matching" sends its filter (the Filters sheet records
   * it); picked ids send the page's filters too (`selected_from`), for the sheet only.
   */
  function exportBody() {
    const body = /** @type {Record<string, any>} */ (selection.body());
    const filter = body.ids ? pickedUnder?.() ?? {} : {};
    if (Object.keys(filter).length) body.selected_from = filter;
    return body;
  }

  /**
   * A one-job export (row menu, Single Job View).
   * @param {string} id
   * @param {(text: string) => void} report
   */
  async function exportJob(id, report) {
    try {
      report(T.exportStarting);
      const op = await jobsApi.exportJob(id);
      await finishExport(op, (view) => report(view ? view.text : ''));
    } catch (error) {
      report('');
      notify(T.exportFailed(message(error)), 'error');
    }
  }

  /**
   * @param {any} op
   * @param {(view: {text: string, percent: number | null, cancellable?: boolean, tone?: string} | null) => void} show
   */
  async function finishExport(op, show) {
    followed?.stop();
    const follower = followOperation(op, (o) => {
      if (o.status === 'queued' || o.status === 'running') {
        show({ text: T.exportProgress(o.done, o.total, Math.round(o.percent)), percent: o.percent, cancellable: true });
      }
    });
    followed = { stop: follower.stop, id: op.id };
    const final = await follower.done;
    if (followed?.id === op.id) followed = null;
    if (final.status === 'completed') {
      downloadExport(final);
      // With an export folder set in Settings the server also keeps a copy: say where
      // (or why it could not), next to the download.
      const saved = final.result?.saved_to ? ` ${T.exportSavedTo(final.result.saved_to)}` : '';
      const text = T.exportReady(final.result?.filename ?? '') + saved;
      show({ text, percent: 100, tone: 'success' });
      announce(text);
      if (final.result?.save_error) notify(T.exportSaveFailed(final.result.save_error), 'warning');
    } else if (final.status === 'cancelled') {
      show({ text: T.exportCancelled, percent: null, tone: 'warning' });
    } else {
      const text = T.exportFailed(final.error ?? final.status);
      show({ text, percent: null, tone: 'error' });
      notify(text, 'error');
    }
  }

  function deleteSelected() {
    if (!selection.size) return;
    const single = selection.mode === 'ids' && selection.size === 1 ? jobFor(selection.ids()[0]) : null;
    deleteJobs(selection.body(), selection.size, single);
  }

  /**
   * Ask, then delete. Resolves true when something was deleted. Picked ids that are running
   * (as far as the page knows) are named in the dialog and left out of the request: the
   * number confirmed is the number deleted. "All N matching" cannot know: the server skips
   * those, and says so.
   * @param {any} body {ids} | {filter, expected_count}
   * @param {number} count
   * @param {any} [one]  the job, when deleting one
   */
  async function deleteJobs(body, count, one = null) {
    /** @type {number | null} */
    let running = null;
    if (body.ids) {
      const split = splitRunning(body.ids, jobFor);
      running = split.running.length;
      if (running && !split.deletable.length) {
        notify(T.deleteOnlyRunning(running), 'warning');
        return false;
      }
      if (running) {
        body = { ids: split.deletable };
        count = split.deletable.length;
        one = count === 1 ? jobFor(split.deletable[0]) : null;
      }
    }
    const yes = await ask({
      title: one ? T.deleteOneTitle(one.label || one.short_id) : T.deleteTitle(count),
      body: T.deleteBody(count, running), ok: T.deleteConfirm(count), keep: T.deleteKeep(count), danger: true,
    });
    if (!yes) return false;
    toolbar.setBusy('delete', true);
    let result;
    deleting += 1;
    try {
      result = await jobsApi.bulkDelete(body);
    } catch (error) {
      deleting -= 1;
      toolbar.setBusy('delete', false);
      if (error?.status === 409) await countChanged(error);
      else {
        batchFailed(error);
        await onChanged('deleted');
      }
      return false;
    }
    deleting -= 1;
    rememberDeleted(result.deleted_ids ?? []);
    toolbar.setBusy('delete', false);
    if (body.filter) selection.clear();
    else selection.forget(result.deleted_ids);
    // Said once: a toast (a polite live region) when something went, else the announcer.
    if (result.deleted) notify(T.deleted(result.deleted), 'success');
    else announce(T.deleted(result.deleted));
    if (result.skipped?.length) notify(T.deleteSkipped(result.skipped.length, result.skipped[0].reason), 'warning');
    await onChanged('deleted');
    return result.deleted > 0;
  }

  /**
   * "All N matching" matched a different number by the time the server acted (409): nothing
   * was done. The selection stays; the reload brings its count up to date, to confirm again.
   */
  async function countChanged(error) {
    notify(T.countChanged(error.message), 'warning');
    await onChanged('recount');
  }

  function batchFailed(error) {
    onServerDown(error);
    notify(T.actionFailed(message(error)), 'error');
  }

  return {
    rerunOne,
    rerunSelected,
    exportSelected,
    exportJob,
    deleteSelected,
    deleteJobs,
    /** Whether this page is deleting jobs right now (a deletion notice may be its own). */
    get deleting() { return deleting > 0; },
    /** Whether this page deleted the job (its live notice is not news from elsewhere). */
    deletedHere: (id) => deletedHere.has(id),
    /** Cancel the operation the toolbar shows. */
    cancel() { if (followed) jobsApi.cancelOperation(followed.id).catch(() => {}); },
    /** A status event of the live stream: one of our reruns may have moved. */
    status(jobId, status) {
      if (reruns.update(jobId, status)) renderQueue();
    },
  };
}
