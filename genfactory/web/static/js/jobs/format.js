/**
 * How numbers and times read on the Job Management page. Pure: no DOM.
 *
 * @module jobs/format
 */

/**
 * The table's duration: "2h 15m", "4m 05s", "12s", "<1s"; "3d 4h" past a day; "—" unknown.
 * @param {number | null | undefined} seconds
 */
export function humanDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds)) || Number(seconds) < 0) return '—';
  const total = Number(seconds);
  if (total < 1) return '<1s';
  const s = Math.floor(total);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const unit = (n, one) => `${n} ${n === 1 ? one : `${one}s`}`;

/**
 * The Single Job View's duration: "2 hours 15 minutes", "4 minutes 5 seconds".
 * @param {number | null | undefined} seconds
 */
export function longDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds)) || Number(seconds) < 0) return '—';
  const total = Number(seconds);
  if (total < 1) return 'less than a second';
  const s = Math.floor(total);
  if (s < 60) return unit(s, 'second');
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${unit(m, 'minute')} ${unit(s % 60, 'second')}` : unit(m, 'minute');
  const h = Math.floor(m / 60);
  return m % 60 ? `${unit(h, 'hour')} ${unit(m % 60, 'minute')}` : unit(h, 'hour');
}

/**
 * A share (0–1) as a percentage: 0.9523 → "95.2%", 1 → "100%", null → null.
 * @param {number | null | undefined} rate
 */
export function ratePercent(rate) {
  if (rate === null || rate === undefined || !Number.isFinite(Number(rate))) return null;
  const pct = Math.round(Number(rate) * 1000) / 10;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)}%`;
}

/**
 * Seconds a job has run: its duration when finished, else counted from its start.
 * @param {{duration_seconds?: number | null, started_at?: string | null, finished_at?: string | null, status?: string}} job
 * @param {number} [now] epoch ms
 */
export function jobSeconds(job, now = Date.now()) {
  if (job.finished_at || !job.started_at || !ACTIVE_STATUSES.has(job.status ?? '')) return job.duration_seconds ?? null;
  const started = Date.parse(job.started_at);
  return Number.isNaN(started) ? job.duration_seconds ?? null : Math.max(0, (now - started) / 1000);
}

export const ACTIVE_STATUSES = new Set(['running', 'uploading']);
export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);

/** A local calendar date as the date input writes it: "2024-01-15". */
export function isoDay(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}
