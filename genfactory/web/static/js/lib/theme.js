/**
 * The theme toggle in the top navigation. The choice is remembered in localStorage and
 * applied before paint by theme-init.js on the next page load.
 *
 * @module lib/theme
 */

import { COPY, SEL } from '../copy.js';

export const THEME_KEY = 'genfactory.theme';

/** @returns {'light' | 'dark'} the theme in effect now */
export function currentTheme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

/** @param {'light' | 'dark'} theme */
export function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  try {
    window.localStorage.setItem(THEME_KEY, theme);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

/** Wire the toggle button (if the page has one). */
export function initThemeToggle() {
  const button = document.querySelector(SEL.themeToggle);
  if (!button) return;
  const label = button.querySelector('.visually-hidden');
  const sync = () => {
    const theme = currentTheme();
    const text = theme === 'dark' ? COPY.themeToLight : COPY.themeToDark;
    button.dataset.current = theme;
    button.setAttribute('title', text);
    if (label) label.textContent = text;
  };
  button.addEventListener('click', () => {
    setTheme(currentTheme() === 'dark' ? 'light' : 'dark');
    sync();
  });
  window.matchMedia('(prefers-color-scheme: light)').addEventListener('change', sync);
  sync();
}
