/**
 * What the global stream says about jobs besides their status and progress: a new label
 * (`label` event), a person's QC verdict with the job's new counts (`qc` event), the
 * verdict of each new image (`image` event), and jobs deleted elsewhere (the `jobs_deleted`
 * notice, which is not an event: docs/streams.md). Pure: no DOM.
 *
 * @module jobs/live-edits
 */

/**
 * A `label` event: the job's new label. Returns whether it changed.
 * @param {any} job  mutated in place
 * @param {any} event
 */
export function applyLabel(job, event) {
  const label = event?.data?.label;
  if (typeof label !== 'string' || job.label === label) return false;
  job.label = label;
  return true;
}

/**
 * A `qc` event carries the job's counts after the review: take them as they are.
 * @param {any} job  mutated in place
 * @param {any} event
 */
export function applyQc(job, event) {
  const d = event?.data ?? {};
  const passed = Number(d.passed);
  const failed = Number(d.failed);
  if (!Number.isInteger(passed) || !Number.isInteger(failed) || passed < 0 || failed < 0) return false;
  if (job.images_passed === passed && job.images_failed === failed) return false;
  job.images_passed = passed;
  job.images_failed = failed;
  return true;
}

/**
 * An `image` event: a new image counts as passed or failed by its verdict. Call it before
 * `applyEvent` (jobs/live.js) raises `image_count`: an image whose index is below the count
 * is already counted.
 * @param {any} job  mutated in place
 * @param {any} event
 */
export function applyImageQc(job, event) {
  const d = event?.data ?? {};
  const index = Number(d.index);
  if (!Number.isInteger(index) || index < (Number(job.image_count) || 0)) return false;
  job.images_passed = (Number(job.images_passed) || 0) + (d.qc_status === 'passed' ? 1 : 0);
  job.images_failed = (Number(job.images_failed) || 0) + (d.qc_status === 'failed' ? 1 : 0);
  return true;
}

/**
 * The image cell's QC counts: null while the job has no images or its counts are unknown.
 * @param {any} job
 * @returns {{passed: number, failed: number, pending: number} | null}
 */
export function qcCounts(job) {
  const count = Number(job?.image_count) || 0;
  const passed = job?.images_passed;
  const failed = job?.images_failed;
  if (count <= 0 || !Number.isInteger(passed) || !Number.isInteger(failed)) return null;
  return { passed, failed, pending: Math.max(0, count - passed - failed) };
}

/**
 * @typedef {object} DeletedNotice
 * @property {'jobs_deleted'} type
 * @property {string[] | null} ids  null: too many to name (reload what is shown)
 * @property {number} count
 */

/**
 * A notice as the server sends it — a WebSocket frame `{control: 'notice', type, time,
 * data}` or the data of an SSE `notice` event `{type, time, data}` — or null when it is
 * something else.
 * @param {unknown} value  parsed JSON
 * @returns {DeletedNotice | null}
 */
export function parseNotice(value) {
  if (!value || typeof value !== 'object') return null;
  const msg = /** @type {any} */ (value);
  if (msg.control !== undefined && msg.control !== 'notice') return null;
  if (msg.type !== 'jobs_deleted' || !msg.data || typeof msg.data !== 'object') return null;
  const ids = Array.isArray(msg.data.job_ids) ? msg.data.job_ids.filter((id) => typeof id === 'string') : null;
  const count = Number(msg.data.count);
  return { type: 'jobs_deleted', ids, count: Number.isFinite(count) ? count : ids?.length ?? 0 };
}

/**
 * A page of jobs without the deleted ones (the total goes down by as many).
 * @param {{items: any[], total: number}} page
 * @param {Set<string>} gone
 * @returns {{page: any, removed: number}}
 */
export function withoutDeleted(page, gone) {
  const items = (page.items ?? []).filter((job) => !gone.has(job.id));
  const removed = (page.items?.length ?? 0) - items.length;
  if (!removed) return { page, removed };
  return { page: { ...page, items, total: Math.max(items.length, (Number(page.total) || 0) - removed) }, removed };
}
