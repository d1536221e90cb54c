/**
 * Formatting of times for display.
 *
 * @module lib/format
 */

const clock = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** @param {string | number | Date} value */
const toDate = (value) => (value instanceof Date ? value : new Date(value));

/** "14:03:07.123": when an event happened, to the millisecond (events come fast). */
export function clockTime(value) {
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) return '';
  return `${clock.format(date)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** "21 Nov 2026, 14:03" */
export function longTime(value) {
  const date = toDate(value);
  return Number.isNaN(date.getTime()) ? '' : dateTime.format(date);
}

/**
 * "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago".
 * @param {string | number | Date} value
 * @param {number} [now]
 */
export function timeAgo(value, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - toDate(value).getTime()) / 1000));
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** Code points, as the server counts a prompt's length (after trimming). */
export function promptLength(text) {
  return [...String(text).trim()].length;
}
