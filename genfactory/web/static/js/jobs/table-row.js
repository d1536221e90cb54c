/**
 * One row of the job table: its cells (select, Job ID, label and prompt, status, date,
 * duration, images, actions), built from text nodes only, with search matches in <mark>,
 * and refilled in place when the job changes.
 *
 * @module jobs/table-row
 */

import { JOB_STATUS_LABELS, JOBS_COPY as T } from '../copy-jobs.js';
import { h, icon, setText } from '../lib/dom.js';
import { ACTIVE_STATUSES, humanDuration, jobSeconds } from './format.js';
import { longTime } from '../lib/format.js';
import { setHighlighted } from './highlight.js';

export const COLUMNS = 8;

const part = (tr, selector) => /** @type {HTMLElement} */ (tr.querySelector(selector));

/** A new row for a job (its cells are empty until {@link fillJobRow}). */
export function buildJobRow(job) {
  const check = h('input', {
    type: 'checkbox', class: 'jobs-check', 'data-role': 'check', tabindex: '-1',
    'aria-label': T.selectRow(job.short_id),
  });
  const open = h('button', { type: 'button', class: 'job-id mono', 'data-role': 'open', tabindex: '-1', 'aria-label': T.openJob(job.short_id) });
  const labelButton = h('button', { type: 'button', class: 'jlabel__text', 'data-role': 'label', tabindex: '-1' });
  const menu = h('button', {
    type: 'button', class: 'btn btn--ghost btn--icon btn--small jmenu', 'data-role': 'menu', tabindex: '-1',
    'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-label': T.rowActions(job.short_id),
  }, icon('more'));
  return h('tr', { class: 'jrow', tabindex: '-1', dataset: { id: job.id } },
    h('td', { class: 'jcell-select' }, check),
    h('td', { class: 'jcell-id' }, open),
    h('td', { class: 'jcell-label' }, h('div', { class: 'jlabel' },
      labelButton, h('span', { class: 'jlabel__prompt' }), h('span', { class: 'jlabel__error', hidden: true }))),
    h('td', { class: 'jcell-status' }, h('span', { class: 'pill' })),
    h('td', { class: 'jcell-date' }, h('time', {})),
    h('td', { class: 'jcell-duration' }, h('span', { class: 'jduration' })),
    h('td', { class: 'jcell-images' }, h('span', { class: 'jimages' }, icon('image'), h('span', { class: 'jimages__count' }))),
    h('td', { class: 'jcell-actions' }, menu));
}

/** A row whose job is still loading (the scrolling view). */
export function placeholderRow(index) {
  return h('tr', { class: 'jrow jrow--loading', 'aria-busy': 'true', tabindex: '-1', dataset: { index: String(index) } },
    h('td', { colspan: String(COLUMNS) }, h('span', { class: 'skeleton skeleton--line w-60' }),
      h('span', { class: 'visually-hidden', text: T.loadingMore })));
}

/**
 * @param {HTMLElement} tr
 * @param {any} job
 * @param {number} index  the row's position (aria-rowindex = index + 2, after the header)
 * @param {{marks: any, error: string | null, selected: boolean}} view
 */
export function fillJobRow(tr, job, index, { marks, error, selected }) {
  const m = marks ?? {};
  tr.setAttribute('aria-rowindex', String(index + 2));
  tr.dataset.status = job.status;
  setHighlighted(part(tr, '[data-role="open"]'), job.short_id ?? String(job.id).slice(0, 8), m.id);
  const labelButton = tr.querySelector('[data-role="label"]');
  if (labelButton) {
    const label = job.label ?? '';
    setHighlighted(/** @type {HTMLElement} */ (labelButton), label || T.untitled, label ? m.label : null);
    labelButton.classList.toggle('is-untitled', !label);
    labelButton.setAttribute('aria-label', T.renameJob(label || T.untitled));
  }
  const prompt = part(tr, '.jlabel__prompt');
  setHighlighted(prompt, job.prompt ?? '', m.prompt);
  prompt.title = job.prompt ?? '';
  if (!tr.classList.contains('is-editing')) {
    const line = part(tr, '.jlabel__error');
    line.hidden = !error;
    prompt.hidden = Boolean(error);
    if (error) setText(line, error);
  }
  fillLiveCells(tr, job);
  const time = part(tr, 'time');
  time.setAttribute('datetime', job.created_at ?? '');
  setText(time, longTime(job.created_at));
  setRowSelected(tr, selected);
}

/** The cells that change while a job runs: status (with its percent), duration, images. */
export function fillLiveCells(tr, job) {
  tr.dataset.status = job.status;
  const pill = part(tr, '.pill');
  pill.dataset.status = job.status;
  const label = JOB_STATUS_LABELS[job.status] ?? job.status;
  const percent = Math.round(Number(job.progress?.percent) || 0);
  setText(pill, ACTIVE_STATUSES.has(job.status) && percent > 0 && percent < 100 ? T.statusPercent(label, percent) : label);
  fillDurationCell(tr, job);
  const count = Number(job.image_count) || 0;
  const images = part(tr, '.jimages__count');
  setText(images, String(count));
  images.parentElement?.setAttribute('aria-label', T.images(count));
}

/** The duration cell ("2h 15m"; counting while the job runs). */
export function fillDurationCell(tr, job) {
  const cell = part(tr, '.jduration');
  setText(cell, humanDuration(jobSeconds(job)));
  cell.classList.toggle('is-live', ACTIVE_STATUSES.has(job.status));
}

/** @param {HTMLElement} tr @param {boolean} on */
export function setRowSelected(tr, on) {
  const check = /** @type {HTMLInputElement | null} */ (tr.querySelector('[data-role="check"]'));
  if (check && check.checked !== on) check.checked = on;
  tr.setAttribute('aria-selected', on ? 'true' : 'false');
  tr.classList.toggle('is-selected', on);
}
