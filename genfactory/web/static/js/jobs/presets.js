/**
 * Filter presets (GET/POST/DELETE /api/presets): save the current filters under a name,
 * apply one, delete one. They live on the server, so every browser sees the same ones.
 *
 * @module jobs/presets
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { jobsApi } from './api.js';
import { createPopover } from './popover.js';

/**
 * @param {{
 *   currentFilter: () => Record<string, any>,
 *   onApply: (filter: Record<string, any>, name: string) => void,
 *   notify: (message: string, tone?: 'info' | 'success' | 'warning' | 'error') => void,
 * }} options
 */
export function createPresets({ currentFilter, onApply, notify }) {
  const button = $(S.presetsButton);
  const menu = $(S.presetsMenu);
  const list = $(S.presetsList);
  const name = /** @type {HTMLInputElement} */ ($(S.presetName));
  const error = $(S.presetError);
  const save = $('#preset-save');
  /** @type {any[]} */
  let presets = [];
  let busy = false;

  const popover = createPopover(button, menu, { onOpen: () => load(), focusFirst: false });
  button.addEventListener('click', () => { if (popover.isOpen) (list.querySelector('button') ?? name).focus(); });

  function message(text) {
    replaceChildren(list, h('li', { class: 'presets__empty muted small', text }));
  }

  async function load() {
    if (!presets.length) message(T.presetsLoading);
    try {
      presets = await jobsApi.presets();
    } catch {
      message(T.presetsError);
      return;
    }
    render();
  }

  function render() {
    if (!presets.length) {
      message(T.presetsEmpty);
      return;
    }
    replaceChildren(list, ...presets.map((p) => h('li', { class: 'presets__item' },
      h('button', { type: 'button', class: 'presets__apply', dataset: { action: 'apply', id: p.id }, 'aria-label': T.presetApply(p.name) },
        h('span', { class: 'presets__name', text: p.name })),
      h('button', {
        type: 'button', class: 'btn btn--ghost btn--icon btn--small', dataset: { action: 'delete', id: p.id },
        'aria-label': T.presetDelete(p.name),
      }, icon('trash')))));
  }

  list.addEventListener('click', async (event) => {
    const target = /** @type {HTMLElement} */ (event.target).closest('button[data-action]');
    if (!target) return;
    const preset = presets.find((p) => p.id === /** @type {HTMLElement} */ (target).dataset.id);
    if (!preset) return;
    if (/** @type {HTMLElement} */ (target).dataset.action === 'apply') {
      popover.close({ restoreFocus: true });
      onApply(preset.filter, preset.name);
      return;
    }
    try {
      await jobsApi.deletePreset(preset.id);
    } catch (err) {
      notify(T.actionFailed(/** @type {any} */ (err)?.message ?? String(err)), 'error');
      return;
    }
    presets = presets.filter((p) => p.id !== preset.id);
    render();
    notify(T.presetDeleted(preset.name), 'success');
    (list.querySelector('button') ?? name).focus();
  });

  async function submit() {
    if (busy) return;
    const value = name.value.trim();
    setText(error, '');
    name.removeAttribute('aria-invalid');
    if (!value) {
      setText(error, T.presetNameEmpty);
      name.setAttribute('aria-invalid', 'true');
      name.focus();
      return;
    }
    busy = true;
    save.setAttribute('aria-busy', 'true');
    try {
      const created = await jobsApi.createPreset(value, currentFilter());
      presets = [...presets.filter((p) => p.id !== created.id), created].sort((a, b) => a.name.localeCompare(b.name));
      name.value = '';
      render();
      notify(T.presetSaved(created.name), 'success');
    } catch (err) {
      const e = /** @type {any} */ (err);
      setText(error, e?.fields?.name ?? e?.message ?? String(err));
      name.setAttribute('aria-invalid', 'true');
      name.focus();
    } finally {
      busy = false;
      save.removeAttribute('aria-busy');
    }
  }
  save.addEventListener('click', submit);
  name.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      submit();
    }
  });

  return { close: () => popover.close() };
}
