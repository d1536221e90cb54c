/**
 * The actions menu of a job (View, Export, Rerun, Delete): one menu element for every row,
 * opened by the row's ⋮ button, a right-click (contextmenu) or Shift+F10 / the context
 * menu key. Arrow keys move between items, Escape closes it and focus goes back.
 *
 * @module jobs/row-menu
 */

/** Scrolls this soon after opening come from the click that opened the menu (it scrolled
 *  the ⋮ button into view): they do not close it. */
export const OPEN_SCROLL_GRACE_MS = 150;

/**
 * Whether a scroll should close the menu: not within the grace period after opening, and not
 * when its anchor has not moved (a scroll elsewhere on the page, or of the menu).
 * @param {{sinceOpen: number, before: {x: number, y: number} | null, now: {x: number, y: number} | null}} s
 */
export function scrollCloses({ sinceOpen, before, now }) {
  if (sinceOpen < OPEN_SCROLL_GRACE_MS) return false;
  if (before && now && Math.abs(before.x - now.x) < 1 && Math.abs(before.y - now.y) < 1) return false;
  return true;
}

/**
 * @param {HTMLElement} menu  role="menu" with role="menuitem" buttons carrying data-action
 * @param {{onAction: (action: string, jobId: string) => void,
 *          unavailable?: (action: string, jobId: string) => string | null}} options
 *   unavailable: why an action cannot be done on the job now (its item is aria-disabled and
 *   says so), or null
 */
export function createRowMenu(menu, { onAction, unavailable = () => null }) {
  /** @type {string | null} */
  let jobId = null;
  /** @type {HTMLElement | null} */
  let opener = null;
  /** @type {HTMLElement | null} the ⋮ button the menu hangs from (null: at a point) */
  let anchor = null;
  /** @type {{x: number, y: number} | null} */
  let anchorAt = null;
  let openedAt = 0;
  const items = () => /** @type {HTMLElement[]} */ ([...menu.querySelectorAll('[role="menuitem"]')]);
  const where = () => {
    if (!anchor || !anchor.isConnected) return null;
    const r = anchor.getBoundingClientRect();
    return { x: r.left, y: r.top };
  };

  /** Each item enabled, or aria-disabled with its reason (a title, and a described-by note). */
  function syncItems(id) {
    for (const item of items()) {
      const reason = unavailable(item.dataset.action ?? '', id);
      const note = /** @type {HTMLElement | null} */ (item.querySelector('.menu__reason'));
      if (reason) {
        item.setAttribute('aria-disabled', 'true');
        item.title = reason;
        const noteId = `row-menu-reason-${item.dataset.action}`;
        // Shown under the item (no tooltip on a touch screen) and its description; hidden
        // from its name, which stays "Delete".
        const el = note ?? Object.assign(document.createElement('span'), { className: 'menu__reason', id: noteId });
        el.setAttribute('aria-hidden', 'true');
        el.textContent = reason;
        if (!note) item.append(el);
        item.setAttribute('aria-describedby', noteId);
      } else {
        item.removeAttribute('aria-disabled');
        item.removeAttribute('title');
        item.removeAttribute('aria-describedby');
        note?.remove();
      }
    }
  }

  /**
   * @param {string} id
   * @param {{x: number, y: number} | HTMLElement} at  a point (right-click) or the button
   * @param {HTMLElement | null} returnFocus
   */
  function open(id, at, returnFocus) {
    jobId = id;
    opener = returnFocus;
    syncItems(id);
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
    anchor = at instanceof HTMLElement ? at : null;
    anchorAt = where();
    openedAt = performance.now();
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
    if (event?.type === 'scroll') {
      if (menu.contains(/** @type {Node} */ (event.target))) return;
      // The click that opened it may scroll the ⋮ button into view just after (a phone).
      if (!scrollCloses({ sinceOpen: performance.now() - openedAt, before: anchorAt, now: where() })) return;
    }
    close(false);
  }

  /** @param {PointerEvent} event */
  function outside(event) {
    if (!menu.contains(/** @type {Node} */ (event.target))) close(false);
  }

  menu.addEventListener('click', (event) => {
    const item = /** @type {HTMLElement} */ (event.target).closest('[role="menuitem"]');
    if (!item || jobId === null) return;
    if (item.getAttribute('aria-disabled') === 'true') return; // it says why (its title)
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
