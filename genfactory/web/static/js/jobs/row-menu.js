/**
 * The actions menu of a job (View, Export, Rerun, Delete): one menu element for every row,
 * opened by the row's ⋮ button, a right-click (contextmenu) or Shift+F10 / the context
 * menu key. Arrow keys move between items, Escape closes it and focus goes back.
 *
 * @module jobs/row-menu
 */

/**
 * @param {HTMLElement} menu  role="menu" with role="menuitem" buttons carrying data-action
 * @param {{onAction: (action: string, jobId: string) => void}} options
 */
export function createRowMenu(menu, { onAction }) {
  /** @type {string | null} */
  let jobId = null;
  /** @type {HTMLElement | null} */
  let opener = null;
  const items = () => /** @type {HTMLElement[]} */ ([...menu.querySelectorAll('[role="menuitem"]')]);

  /**
   * @param {string} id
   * @param {{x: number, y: number} | HTMLElement} at  a point (right-click) or the button
   * @param {HTMLElement | null} returnFocus
   */
  function open(id, at, returnFocus) {
    jobId = id;
    opener = returnFocus;
    menu.hidden = false;
    const { width, height } = menu.getBoundingClientRect();
    let x;
    let y;
    if (at instanceof HTMLElement) {
      const r = at.getBoundingClientRect();
      x = r.right - width;
      y = r.bottom + 4;
      if (y + height > window.innerHeight - 8) y = r.top - height - 4;
    } else {
      x = at.x;
      y = at.y;
      if (y + height > window.innerHeight - 8) y = at.y - height;
    }
    x = Math.max(8, Math.min(x, window.innerWidth - width - 8));
    y = Math.max(8, Math.min(y, window.innerHeight - height - 8));
    // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
    menu.style.left = `${Math.round(x)}px`;
    menu.style.top = `${Math.round(y)}px`;
    opener?.setAttribute('aria-expanded', 'true');
    items()[0]?.focus();
    document.addEventListener('pointerdown', outside, true);
    window.addEventListener('scroll', closeQuietly, true);
    window.addEventListener('resize', closeQuietly);
  }

  function close(restoreFocus = true) {
    if (menu.hidden) return;
    menu.hidden = true;
    opener?.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    window.removeEventListener('scroll', closeQuietly, true);
    window.removeEventListener('resize', closeQuietly);
    if (restoreFocus && opener && document.contains(opener)) opener.focus();
  }

  function closeQuietly(event) {
    if (event?.type === 'scroll' && menu.contains(/** @type {Node} */ (event.target))) return;
    close(false);
  }

  /** @param {PointerEvent} event */
  function outside(event) {
    if (!menu.contains(/** @type {Node} */ (event.target))) close(false);
  }

  menu.addEventListener('click', (event) => {
    const item = /** @type {HTMLElement} */ (event.target).closest('[role="menuitem"]');
    if (!item || jobId === null) return;
    const id = jobId;
    close(true);
    onAction(item.dataset.action ?? '', id);
  });

  menu.addEventListener('keydown', (event) => {
    const list = items();
    const i = list.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    let next = null;
    switch (event.key) {
      case 'ArrowDown': next = list[(i + 1) % list.length]; break;
      case 'ArrowUp': next = list[(i - 1 + list.length) % list.length]; break;
      case 'Home': next = list[0]; break;
      case 'End': next = list[list.length - 1]; break;
      case 'Escape':
        event.preventDefault();
        event.stopPropagation();
        close(true);
        return;
      case 'Tab':
        close(false);
        return;
      default: {
        // First-letter navigation (V, E, R, D).
        if (event.key.length === 1 && /\S/.test(event.key)) {
          next = list.find((el) => (el.textContent ?? '').trim().toLowerCase().startsWith(event.key.toLowerCase())) ?? null;
          if (!next) return;
        } else return;
      }
    }
    event.preventDefault();
    next?.focus();
  });

  return { open, close, get isOpen() { return !menu.hidden; }, get jobId() { return jobId; } };
}
