/**
 * Inline rename of a job's label in its table row: click the label (or F2), type, Enter
 * saves, Escape cancels, leaving the field saves. What the server would refuse (empty, over
 * 200 characters, a tab or line break, a control character) is refused at the field, in the
 * server's words; the table sends the rest (optimistically, rolling back on an error).
 *
 * @module jobs/label-editor
 */

import { JOBS_COPY as T } from '../copy-jobs.js';
import { h, setText } from '../lib/dom.js';

export const LABEL_MAX = 200;

/** Breaks a one-line label may not hold (JobUpdate in genfactory/api/schemas.py). */
const LINE_BREAK = /[\n\r\t\p{Zl}\p{Zp}]/u;
/** Control and lone surrogate characters. */
const CONTROL = /[\p{Cc}\p{Cs}]/u;
/** Invisible formatting characters; the zero-width joiner (emoji) is allowed. */
const FORMAT = /\p{Cf}/u;
const ZWJ = '\u200d';

/** 'U+0007': how the server names a character. */
const codePoint = (ch) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * What is wrong with a label, or '' (the server's rule: 1–200 characters after trimming, one
 * line, no control or invisible formatting characters; the first offending one is named).
 * @param {string} value  trimmed
 */
export function labelProblem(value) {
  const chars = [...value];
  if (!chars.length) return T.labelEmpty;
  if (chars.length > LABEL_MAX) return T.labelTooLong(chars.length);
  for (const ch of chars) {
    if (LINE_BREAK.test(ch)) return T.labelOneLine(codePoint(ch));
    if (CONTROL.test(ch)) return T.labelControl(codePoint(ch));
    if (ch !== ZWJ && FORMAT.test(ch)) return T.labelInvisible(codePoint(ch));
  }
  return '';
}

/**
 * @param {{onEnd: (id: string, outcome: {save: boolean, value: string, refocus: boolean}) => void}} options
 *   onEnd: the editor is gone (refill the row); `save` = send `value` to the server
 */
export function createLabelEditor({ onEnd }) {
  /** @type {{id: string, tr: HTMLElement, input: HTMLInputElement, original: string} | null} */
  let editing = null;

  /**
   * @param {HTMLElement} tr
   * @param {any} job
   */
  function start(tr, job) {
    if (editing) finish(true);
    const button = /** @type {HTMLElement} */ (tr.querySelector('[data-role="label"]'));
    const line = /** @type {HTMLElement} */ (tr.querySelector('.jlabel__error'));
    const lineId = `label-error-${job.id}`;
    const input = /** @type {HTMLInputElement} */ (h('input', {
      class: 'input jlabel__input', type: 'text', maxlength: '400', autocomplete: 'off', spellcheck: 'false',
      'data-role': 'label-input', 'aria-label': T.labelInput(job.short_id), 'aria-describedby': lineId,
    }));
    input.value = job.label ?? '';
    line.id = lineId;
    setText(line, T.labelHint);
    line.hidden = false;
    line.classList.add('is-hint');
    /** @type {HTMLElement} */ (tr.querySelector('.jlabel__prompt')).hidden = true;
    button.replaceWith(input);
    editing = { id: job.id, tr, input, original: job.label ?? '' };
    tr.classList.add('is-editing');
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        finish(true);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        finish(false);
      }
      event.stopPropagation(); // typing is not table navigation, nor a page shortcut
    });
    input.addEventListener('blur', () => {
      if (editing?.input === input) finish(true, { refocus: false });
    });
    input.focus();
    input.select();
  }

  /**
   * @param {boolean} save
   * @param {{refocus?: boolean}} [opts]  refocus: put focus back on the label
   */
  function finish(save, { refocus = true } = {}) {
    if (!editing) return;
    const { id, tr, input, original } = editing;
    const value = input.value.trim();
    const line = /** @type {HTMLElement} */ (tr.querySelector('.jlabel__error'));
    const changed = save && value !== original;
    if (changed) {
      const problem = labelProblem(value);
      if (problem) {
        if (!refocus) { // focus has left: give up rather than pull it back
          finish(false, { refocus: false });
          return;
        }
        line.classList.remove('is-hint');
        setText(line, problem);
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
    }
    editing = null;
    input.replaceWith(h('button', { type: 'button', class: 'jlabel__text', 'data-role': 'label', tabindex: '-1' }));
    tr.classList.remove('is-editing');
    line.classList.remove('is-hint');
    line.removeAttribute('id');
    line.hidden = true;
    onEnd(id, { save: changed, value, refocus });
  }

  return {
    start,
    finish,
    /** The job whose label is being edited, or null. */
    get id() { return editing?.id ?? null; },
  };
}
