/**
 * The filter bar: status multi-select, date range (native date inputs with their calendar;
 * an inverted range applies neither of its dates), configuration dropdown, search (applied
 * 300 ms after the last keystroke), Clear, and the summary of active filters as chips that
 * each remove one filter.
 *
 * The page owns the state; this module reflects it (`show`) and reports changes (`onChange`).
 *
 * @module jobs/filters
 */

import { JOBS_COPY as T, JOBS_SEL as S, STATUS_FILTERS } from '../copy-jobs.js';
import { $, $$, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { activeCount, chips, validDay } from './filter-state.js';
import { createPopover } from './popover.js';

export const SEARCH_DEBOUNCE_MS = 300;

/**
 * @param {{
 *   onChange: (patch: Partial<import('./filter-state.js').ViewState>) => void,
 *   onClear: (key: 'status' | 'from' | 'to' | 'configuration' | 'q' | 'all') => void,
 * }} options
 */
export function createFilters({ onChange, onClear }) {
  const els = {
    statusButton: $(S.statusButton),
    statusText: $(S.statusButtonText),
    statusMenu: $(S.statusMenu),
    statusAll: /** @type {HTMLInputElement} */ ($(S.statusAll)),
    options: /** @type {HTMLInputElement[]} */ ($$(S.statusOption)),
    from: /** @type {HTMLInputElement} */ ($(S.from)),
    to: /** @type {HTMLInputElement} */ ($(S.to)),
    dateError: $(S.dateError),
    configuration: /** @type {HTMLSelectElement} */ ($(S.configuration)),
    search: /** @type {HTMLInputElement} */ ($(S.search)),
    clear: $(S.clear),
    summaryText: $(S.summaryText),
    datesNote: $(S.datesNote),
    chips: $(S.chips),
  };
  createPopover(els.statusButton, els.statusMenu);
  let timer = 0;
  let lastSearch = '';
  /** @type {string[]} configuration names offered */
  let configNames = [];
  /** The dates the page applies now (the view state's). */
  let applied = { from: '', to: '' };
  /**
   * While the date fields hold an inverted range: the dates applied meanwhile. The fields
   * keep what the person typed through changes made here; any other change resets them.
   * @type {{from: string, to: string} | null}
   */
  let held = null;
  /** A change reported from this bar is being applied (show() runs inside it). */
  let reporting = false;

  /** @param {Partial<import('./filter-state.js').ViewState>} patch */
  function report(patch) {
    reporting = true;
    try {
      onChange(patch);
    } finally {
      reporting = false;
    }
  }

  // ---- status ------------------------------------------------------------------------
  const checkedStatuses = () => els.options.filter((o) => o.checked).map((o) => o.value);
  els.statusAll.addEventListener('change', () => {
    if (els.statusAll.checked) for (const o of els.options) o.checked = false;
    else if (!checkedStatuses().length) els.statusAll.checked = true; // "nothing" is not a filter
    report({ status: checkedStatuses() });
  });
  for (const option of els.options) {
    option.addEventListener('change', () => {
      const keys = checkedStatuses();
      // Every status ticked is the same as All.
      if (keys.length === els.options.length) for (const o of els.options) o.checked = false;
      els.statusAll.checked = checkedStatuses().length === 0;
      report({ status: checkedStatuses() });
    });
  }

  // ---- dates -------------------------------------------------------------------------
  /** The date fields' days, and whether they make an inverted range (From after To). */
  function dates() {
    const from = validDay(els.from.value);
    const to = validDay(els.to.value);
    return { from, to, inverted: Boolean(from && to && from > to) };
  }
  /** @param {Event} event */
  function onDates(event) {
    const { from, to, inverted } = dates();
    setText(els.dateError, inverted ? T.dateInverted : '');
    noteDates();
    // The field just edited is the one to fix.
    for (const input of [els.from, els.to]) {
      input.setAttribute('aria-invalid', inverted && input === event.target ? 'true' : 'false');
    }
    if (!inverted) {
      held = null;
      report({ from, to });
      return;
    }
    // Never one date of an inverted range: a whole range applied before stays, else no dates
    // (a "From" applied alone a moment ago is half of this range).
    held = applied.from && applied.to ? { ...applied } : { from: '', to: '' };
    if (held.from !== applied.from || held.to !== applied.to) report({ ...held });
  }
  /** The summary says when the date fields hold a range the table does not apply. */
  function noteDates() {
    const { inverted } = dates();
    els.datesNote.hidden = !inverted;
    setText(els.datesNote, inverted ? T.datesNotApplied : '');
  }
  els.from.addEventListener('change', onDates);
  els.to.addEventListener('change', onDates);

  // ---- configuration -------------------------------------------------------------------
  els.configuration.addEventListener('change', () => report({ configuration: els.configuration.value }));

  // ---- search --------------------------------------------------------------------------
  function applySearch() {
    window.clearTimeout(timer);
    timer = 0;
    const q = els.search.value.slice(0, 200);
    if (q.trim() === lastSearch.trim()) return;
    lastSearch = q;
    report({ q });
  }
  els.search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(applySearch, SEARCH_DEBOUNCE_MS);
  });
  els.search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      applySearch();
    } else if (event.key === 'Escape' && els.search.value) {
      event.preventDefault();
      event.stopPropagation();
      els.search.value = '';
      applySearch();
    }
  });
  $(S.filtersForm).addEventListener('submit', (event) => event.preventDefault());

  els.clear.addEventListener('click', () => onClear('all'));
  els.chips.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-clear]');
    if (!button) return;
    const key = /** @type {any} */ (/** @type {HTMLElement} */ (button).dataset.clear);
    // Focus the next chip (or the Clear button) so the keyboard does not fall to the body.
    const item = button.closest('li');
    const sibling = item?.nextElementSibling ?? item?.previousElementSibling;
    onClear(key);
    const next = sibling ? els.chips.querySelector(`button[data-clear="${/** @type {HTMLElement} */ (sibling).dataset.key}"]`) : null;
    /** @type {HTMLElement} */ (next ?? els.clear).focus();
  });

  function setConfigOptions(names, selected) {
    const wanted = selected && !names.includes(selected) ? [...names, selected] : names;
    const current = [...els.configuration.options].slice(1).map((o) => o.value);
    if (current.join('\n') !== wanted.join('\n')) {
      replaceChildren(els.configuration, h('option', { value: '', text: T.configAll }),
        ...wanted.map((name) => h('option', { value: name, text: name })));
    }
    els.configuration.value = selected;
  }

  return {
    /**
     * Reflect the state in the controls (without reporting a change).
     * @param {import('./filter-state.js').ViewState} state
     */
    show(state) {
      const labels = [];
      for (const o of els.options) {
        o.checked = state.status.includes(o.value);
        if (o.checked) labels.push(STATUS_FILTERS.find((f) => f.key === o.value)?.label ?? o.value);
      }
      els.statusAll.checked = state.status.length === 0;
      setText(els.statusText, T.statusButton(labels));
      applied = { from: state.from, to: state.to };
      if (!(reporting && held)) { // else: the person's inverted range stays in the fields
        held = null;
        if (document.activeElement !== els.from) els.from.value = state.from;
        if (document.activeElement !== els.to) els.to.value = state.to;
        if (!(state.from && state.to && state.from > state.to)) {
          setText(els.dateError, '');
          els.from.removeAttribute('aria-invalid');
          els.to.removeAttribute('aria-invalid');
        }
      }
      setConfigOptions(configNames, state.configuration);
      if (els.search.value.trim() !== state.q.trim() && !timer) els.search.value = state.q;
      lastSearch = state.q;
      // Summary and chips.
      const list = chips(state, T);
      setText(els.summaryText, T.activeFilters(activeCount(state)));
      noteDates();
      replaceChildren(els.chips, ...list.map((chip) => h('li', { dataset: { key: chip.key } },
        h('span', { class: 'filter-chip' },
          h('span', { text: chip.label }),
          h('button', {
            type: 'button', class: 'filter-chip__remove', 'aria-label': T.chipRemove(chip.label), dataset: { clear: chip.key },
          }, icon('x'))))));
      if (list.length > 1) {
        els.chips.append(h('li', { dataset: { key: 'all' } },
          h('button', { type: 'button', class: 'btn btn--ghost btn--small', dataset: { clear: 'all' }, text: T.clearAll })));
      }
      els.clear.toggleAttribute('disabled', list.length === 0);
    },
    /**
     * @param {string[] | 'loading' | 'error'} names
     * @param {string} selected
     */
    setConfigurations(names, selected) {
      if (names === 'loading' || names === 'error') {
        els.configuration.options[0].textContent = names === 'loading' ? T.configLoading : T.configError;
        els.configuration.title = names === 'error' ? T.configErrorLong : '';
        return;
      }
      configNames = names;
      els.configuration.title = '';
      els.configuration.options[0].textContent = T.configAll;
      setConfigOptions(configNames, selected);
    },
    focusSearch() {
      els.search.focus();
      els.search.select();
    },
    /** Apply a pending search now (before a refresh). */
    flush() { if (timer) applySearch(); },
  };
}
