/*
 * Applies the remembered theme before the first paint. A classic (blocking) script in
 * <head>, because a module runs only after parsing and the page would flash the other
 * theme. It is an external file so the Content-Security-Policy needs no inline script.
 * With nothing remembered, the CSS follows prefers-color-scheme.
 */
(function applyStoredTheme() {
  try {
    var theme = window.localStorage.getItem('genfactory.theme');
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  } catch (error) {
    /* storage disabled: follow the system */
  }
})();
