/**
 * The progress page of an unknown job (404): only the shared chrome.
 *
 * @module pages/not-found
 */

import { initThemeToggle } from '../lib/theme.js';

initThemeToggle();
