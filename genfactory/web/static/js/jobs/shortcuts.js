/**
 * The page's keyboard shortcuts (listed in the Help dialog) and the Help dialog itself.
 * Shortcuts stay out of the way while a dialog or menu is open, and while typing.
 *
 * | key    | does                                                  |
 * | ------ | ----------------------------------------------------- |
 * | /      | focus the search box                                  |
 * | r      | refresh the jobs and statistics                       |
 * | ?      | show the help                                         |
 * | Delete | delete the selected jobs (asks first)                 |
 * | Esc    | clear the selection (menus and dialogs close first)   |
 *
 * The table's own keys (arrows, Space, Enter, F2, Shift+F10) are in jobs/table.js.
 *
 * @module jobs/shortcuts
 */

import { JOBS_SEL as S } from '../copy-jobs.js';
import { $ } from '../lib/dom.js';

/** Whether a key press is typing into a field (not a shortcut). */
export function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable
    || target.matches('textarea, select, input:not([type="checkbox"]):not([type="radio"]):not([type="button"])'));
}

/**
 * @param {{blocked: () => boolean, focusSearch: () => void, refresh: () => void, help: () => void,
 *          hasSelection: () => boolean, deleteSelected: () => void, clearSelection: () => void}} on
 */
export function installShortcuts(on) {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector('dialog[open]') || on.blocked()) return;
    if (isTyping(event.target)) return;
    let handled = true;
    switch (event.key) {
      case '/': on.focusSearch(); break;
      case 'r':
      case 'R':
        if (event.shiftKey) return;
        on.refresh();
        break;
      case '?': on.help(); break;
      case 'Delete':
        if (!on.hasSelection()) return;
        on.deleteSelected();
        break;
      case 'Escape':
        if (!on.hasSelection()) return;
        on.clearSelection();
        break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });
}

/** The Help dialog: opened by its button or "?", closed by ×, Escape or the backdrop. */
export function createHelp() {
  const dialog = /** @type {HTMLDialogElement} */ ($(S.helpDialog));
  const button = $(S.help);
  const open = () => {
    if (!dialog.open) dialog.showModal();
    $(S.helpClose).focus();
  };
  button.addEventListener('click', open);
  $(S.helpClose).addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (event) => {
    // The backdrop: a click on the dialog element outside its box (its padding is inside).
    if (event.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    if (event.clientX < r.left || event.clientX > r.right || event.clientY < r.top || event.clientY > r.bottom) dialog.close();
  });
  dialog.addEventListener('close', () => button.focus());
  return { open };
}
