/**
 * How the global event stream's events (see jobs/live-stream.js) move the rows of the job
 * table: {@link applyEvent} moves a row's job forward without asking the server.
 *
 * @module jobs/live
 */

import { TERMINAL_STATUSES } from './format.js';

/**
 * Move a job (as GET /api/jobs returned it) forward by one event of the global stream.
 * Returns what changed: `row` (re-render it), `snapshot` (fields only the server can
 * compute changed — duration, QC counts, a new label: fetch the job), `stats` (the counts
 * changed).
 * @param {any} job  mutated in place
 * @param {any} event  the envelope
 * @returns {{row: boolean, snapshot: boolean, stats: boolean}}
 */
export function applyEvent(job, event) {
  const out = { row: false, snapshot: false, stats: false };
  const d = event?.data ?? {};
  switch (event?.type) {
    case 'status': {
      if (!d.status || d.status === job.status) return out;
      job.status = d.status;
      job.status_changed_at = event.time;
      if (d.status === 'running' && !job.started_at) job.started_at = event.time;
      if (d.status === 'queued') job.progress = { ...(job.progress ?? {}), stage: 'queued', percent: 0 };
      if (d.status === 'completed') job.progress = { ...(job.progress ?? {}), stage: 'completed', percent: 100 };
      if (TERMINAL_STATUSES.has(d.status)) {
        job.finished_at = event.time;
        if (job.started_at) job.duration_seconds = Math.max(0, (Date.parse(event.time) - Date.parse(job.started_at)) / 1000);
        out.snapshot = true;
      } else job.finished_at = null;
      if (d.error) job.error = d.error;
      if (typeof d.attempt === 'number') job.attempt = d.attempt;
      out.row = true;
      out.stats = true;
      return out;
    }
    case 'progress': {
      const percent = Number(d.percent) || 0;
      const before = Math.round(Number(job.progress?.percent) || 0);
      job.progress = { ...(job.progress ?? {}), stage: d.stage ?? job.progress?.stage, percent, step: d.step ?? null, total: d.total ?? null, message: d.message ?? '' };
      out.row = Math.round(percent) !== before;
      return out;
    }
    case 'image': {
      const count = Math.max(Number(job.image_count) || 0, (Number(d.index) || 0) + 1);
      if (count !== job.image_count) {
        job.image_count = count;
        out.row = true;
      }
      return out;
    }
    case 'error':
      job.error = { code: d.code, message: d.message, retryable: Boolean(d.retryable), retry_after: d.retry_after ?? null };
      return out;
    default:
      return out;
  }
}

/** Whether an event says a new job was just submitted. */
export const isNewJob = (event) => event?.type === 'status' && event.data?.status === 'queued' && !event.data?.previous;
