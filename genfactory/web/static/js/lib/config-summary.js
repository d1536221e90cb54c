/**
 * How a configuration's settings read in a list, a version history or the Start page:
 * "procedural · 512 × 512 · 12 steps · noir · 2 images" (what it leaves open is left out).
 * No DOM here.
 *
 * @module lib/config-summary
 */

import { CONFIG_COPY, COPY } from '../copy.js';

export const sizeLabel = (size) => String(size).replace('x', ' × ');
export const styleLabel = (style) => (style && style !== 'none' ? style[0].toUpperCase() + style.slice(1) : COPY.styleNone);

/**
 * @param {string | undefined} name
 * @param {any[]} providers ProviderPublic[]
 */
export function providerTitle(name, providers) {
  if (!name) return CONFIG_COPY.defaultValue;
  return shortTitle(providers.find((p) => p.name === name)?.title ?? name);
}

/** "Procedural (demo renderer, not AI)" → "Procedural": the words in brackets are for forms. */
export const shortTitle = (title) => String(title).replace(/\s*\([^)]*\)\s*$/, '') || String(title);

/**
 * The quality checks a configuration runs: null when it keeps the defaults.
 * @param {any} settings
 * @returns {string[] | null}
 */
export function qcChecks(settings) {
  const checks = settings?.qc?.checks;
  return Array.isArray(checks) ? checks : null;
}

/**
 * The settings as short phrases, in the order the form shows them.
 * @param {any} settings ConfigurationSettings (as stored: unset fields are absent)
 * @param {any[]} providers
 * @returns {string[]}
 */
export function summarize(settings, providers) {
  const s = settings ?? {};
  const parts = [providerTitle(s.provider, providers)];
  if (s.size) parts.push(sizeLabel(s.size));
  if (s.steps) parts.push(CONFIG_COPY.summarySteps(s.steps));
  if (s.style) parts.push(styleLabel(s.style));
  // Left open, the count is not the configuration's: the Start page fills in the saved
  // default, the API and CLI make 1.
  if (s.count) parts.push(CONFIG_COPY.summaryCount(s.count));
  if (s.model) parts.push(s.model);
  if (s.output_format) parts.push(String(s.output_format).toUpperCase());
  return parts;
}

/** "QC: blank, blur" / "QC: default checks" / "QC: off", plus changed thresholds. */
export function summarizeQc(settings) {
  const qc = settings?.qc ?? {};
  const thresholds = Object.entries(qc)
    .filter(([key]) => key !== 'checks' && key !== 'vision')
    .map(([key, value]) => `${key.replaceAll('_', ' ')} ${value}`);
  const vision = qc.vision?.enabled ? [`vision check (${qc.vision.model ?? 'gpt-4.1-mini'})`] : [];
  return [`QC: ${CONFIG_COPY.qcSummary(qcChecks(settings))}`, ...thresholds, ...vision].join(' · ');
}
