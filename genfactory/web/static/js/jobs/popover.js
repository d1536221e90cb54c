/**
 * A disclosure popover: a button that shows a panel under it (the status multi-select, the
 * presets). Escape or a click outside closes it; focus leaving it closes it too.
 *
 * @module jobs/popover
 */

/**
 * @param {HTMLElement} button  has aria-expanded and aria-controls
 * @param {HTMLElement} panel
 * @param {{onOpen?: () => void, focusFirst?: boolean}} [options]
 */
export function createPopover(button, panel, { onOpen, focusFirst = true } = {}) {
  const isOpen = () => !panel.hidden;

  function open() {
    if (isOpen()) return;
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    if (onOpen) onOpen();
    if (focusFirst) {
      const first = /** @type {HTMLElement | null} */ (panel.querySelector('input, button, select, [tabindex="0"]'));
      first?.focus();
    }
    document.addEventListener('pointerdown', outside, true);
  }

  function close({ restoreFocus = false } = {}) {
    if (!isOpen()) return;
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (restoreFocus) button.focus();
  }

  /** @param {PointerEvent} event */
  function outside(event) {
    const target = /** @type {Node} */ (event.target);
    if (!panel.contains(target) && !button.contains(target)) close();
  }

  button.addEventListener('click', () => (isOpen() ? close() : open()));
  for (const el of [button, panel]) {
    el.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && isOpen()) {
        event.preventDefault();
        event.stopPropagation();
        close({ restoreFocus: true });
      }
    });
    el.addEventListener('focusout', (event) => {
      const next = /** @type {Node | null} */ (event.relatedTarget);
      if (next && !panel.contains(next) && !button.contains(next)) close();
    });
  }
  return { open, close, get isOpen() { return isOpen(); } };
}
