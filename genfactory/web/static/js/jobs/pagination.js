/**
 * Pagination: Previous / Next, page numbers, "Page X of Y", page size (25, 50, 100, or All
 * in one scrolling list), jump to a page, and "Total: N jobs".
 *
 * @module jobs/pagination
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { $, h, replaceChildren, setText } from '../lib/dom.js';
import { SCROLL_SIZE } from './filter-state.js';
import { clampPage, pageCount, pageList, pageSpan } from './paging.js';

/**
 * @param {{onPage: (page: number) => void, onSize: (size: number | 'all') => void}} options
 */
export function createPagination({ onPage, onSize }) {
  const els = {
    nav: $(S.pagination),
    prev: /** @type {HTMLButtonElement} */ ($(S.pagePrev)),
    next: /** @type {HTMLButtonElement} */ ($(S.pageNext)),
    numbers: $(S.pageNumbers),
    of: $(S.pageOf),
    size: /** @type {HTMLSelectElement} */ ($(S.pageSize)),
    jump: /** @type {HTMLFormElement} */ ($(S.jumpForm)),
    jumpInput: /** @type {HTMLInputElement} */ ($(S.jumpInput)),
    jumpError: $(S.jumpError),
    total: $(S.pageTotal),
    showing: $(S.pageShowing),
  };
  let page = 1;
  let pages = 1;

  els.prev.addEventListener('click', () => { if (page > 1) onPage(page - 1); });
  els.next.addEventListener('click', () => { if (page < pages) onPage(page + 1); });
  els.numbers.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-page]');
    if (button) onPage(Number(/** @type {HTMLElement} */ (button).dataset.page));
  });
  els.size.addEventListener('change', () => {
    const value = els.size.value;
    onSize(value === SCROLL_SIZE ? SCROLL_SIZE : Number(value));
  });
  els.jump.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = Number(els.jumpInput.value);
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > pages) {
      setText(els.jumpError, T.jumpRange(pages));
      els.jumpInput.setAttribute('aria-invalid', 'true');
      els.jumpInput.focus();
      return;
    }
    clearJumpError();
    els.jumpInput.value = '';
    onPage(clampPage(wanted, pages));
  });

  function clearJumpError() {
    setText(els.jumpError, '');
    els.jumpInput.removeAttribute('aria-invalid');
  }

  return {
    /**
     * @param {{page: number, size: number | 'all', total: number}} view
     */
    render({ page: current, size, total }) {
      const scrolling = size === SCROLL_SIZE;
      els.size.value = String(size);
      for (const el of els.jump.elements) /** @type {HTMLButtonElement} */ (el).disabled = false;
      setText(els.total, T.total(total));
      els.nav.dataset.mode = scrolling ? 'scroll' : 'pages';
      if (scrolling) {
        clearJumpError(); // no pages to go to: "Enter a page from 1 to 3" means nothing here
        page = 1;
        pages = 1;
        setText(els.of, T.scrollShowing(total));
        setText(els.showing, '');
        replaceChildren(els.numbers);
        els.prev.disabled = true;
        els.next.disabled = true;
        els.jump.hidden = true;
        els.prev.hidden = true;
        els.next.hidden = true;
        return;
      }
      els.jump.hidden = false;
      els.prev.hidden = false;
      els.next.hidden = false;
      const before = pages;
      pages = pageCount(total, size);
      page = clampPage(current, pages);
      // A range error was about the pages there were: it goes when their number changes.
      if (pages !== before) clearJumpError();
      els.prev.disabled = page <= 1;
      els.next.disabled = page >= pages;
      els.jumpInput.max = String(pages);
      setText(els.of, T.pageOf(page, pages));
      const span = pageSpan(page, size, total);
      setText(els.showing, T.showing(span.from, span.to, total));
      replaceChildren(els.numbers, ...pageList(page, pages).map((p) => h('li', {},
        p === '…'
          ? h('span', { class: 'pagination__gap', 'aria-hidden': 'true', text: '…' })
          : h('button', {
            type: 'button', class: 'pagination__page', dataset: { page: String(p) },
            'aria-label': T.pageLabel(p), 'aria-current': p === page ? 'page' : null, text: String(p),
          }))));
    },
    /**
     * No count to show (the first list is loading, or the list failed): no total, no page
     * numbers, nothing to page to — rather than "Page 1 of 1 · Total: 0 jobs".
     */
    unknown() {
      setText(els.total, T.totalUnknown);
      setText(els.of, '');
      setText(els.showing, '');
      replaceChildren(els.numbers);
      els.prev.disabled = true;
      els.next.disabled = true;
      for (const el of els.jump.elements) /** @type {HTMLButtonElement} */ (el).disabled = true;
    },
  };
}
