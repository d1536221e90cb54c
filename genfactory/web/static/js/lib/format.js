/**
 * Formatting of times for display.
 *
 * @module lib/format
 */

const clock = new Intl.DateTimeFormat('en-US', {
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
// One date-time format on every page (the jobs table, the job view, the progress page,
// tooltips): English like the rest of the copy, 24-hour like the event clock.
const dateTime = new Intl.DateTimeFormat('en-US', {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** @param {string | number | Date} value */
const toDate = (value) => (value instanceof Date ? value : new Date(value));

/** "14:03:07" */
export function timeOfDay(value) {
  const date = toDate(value);
  return Number.isNaN(date.getTime()) ? '' : clock.format(date);
}

/** "14:03:07.123": when an event happened, to the millisecond (events come fast). */
export function clockTime(value) {
  const time = timeOfDay(value);
  return time && `${time}.${String(toDate(value).getMilliseconds()).padStart(3, '0')}`;
}

/** "Nov 21, 2026, 14:03" (local time). */
export function longTime(value) {
  const date = toDate(value);
  return Number.isNaN(date.getTime()) ? '' : dateTime.format(date);
}

const calendarDay = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric' });

/**
 * "2026-12-07": the local day of a time ('' when it is not one).
 * @param {string} value
 */
export function localDay(value) {
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "2026-11-21" (a date input's value, a local day) → "Nov 21, 2026"; anything else as given. */
export function longDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return m ? calendarDay.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : day;
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
