/**
 * A confirm dialog on a native <dialog> opened with showModal(): the rest of the page is
 * inert, Escape closes it (as "no"), Tab and Shift+Tab cycle inside it, and focus goes
 * back to the button that opened it.
 *
 * @module components/dialog
 */

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * @param {HTMLDialogElement} dialog
 * @param {{confirm: HTMLElement, keep: HTMLElement}} buttons
 * @returns {Promise<boolean>} true when confirmed
 */
export function confirmDialog(dialog, { confirm, keep }) {
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  return new Promise((resolve) => {
    const trap = (event) => {
      if (event.key !== 'Tab') return;
      const items = /** @type {HTMLElement[]} */ ([...dialog.querySelectorAll(FOCUSABLE)]);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    };
    const finish = (answer) => {
      dialog.removeEventListener('keydown', trap);
      dialog.removeEventListener('close', onClose);
      confirm.removeEventListener('click', onConfirm);
      keep.removeEventListener('click', onKeep);
      if (dialog.open) dialog.close();
      if (opener && document.contains(opener) && !answer) opener.focus();
      resolve(answer);
    };
    const onConfirm = () => finish(true);
    const onKeep = () => finish(false);
    const onClose = () => finish(false); // Escape, or closed some other way
    dialog.addEventListener('keydown', trap);
    dialog.addEventListener('close', onClose);
    confirm.addEventListener('click', onConfirm);
    keep.addEventListener('click', onKeep);
    dialog.showModal();
    keep.focus();
  });
}
