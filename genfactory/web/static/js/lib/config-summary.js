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

// ---- comparing versions -----------------------------------------------------------------

/** A value with its object keys in one order, so that two equal settings compare equal. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}

/**
 * Whether a form's body would repeat a stored version (the server refuses such a save with
 * "Nothing changed"): the same description and the same settings, in any key order.
 * @param {{description?: string, settings?: any}} body
 * @param {{description?: string, settings?: any} | null} version
 */
export function sameVersion(body, version) {
  if (!version) return false;
  return (body.description ?? '').trim() === (version.description ?? '').trim()
    && JSON.stringify(canonical(body.settings ?? {})) === JSON.stringify(canonical(version.settings ?? {}));
}

/** How one setting reads in a change list: "steps", "output format", "QC min detail". */
const settingName = (path) => {
  const [head, ...rest] = path;
  const words = (key) => String(key).replaceAll('_', ' ');
  if (head === 'qc' && rest[0] === 'vision') return `vision check ${rest.slice(1).map(words).join(' ')}`.trim();
  if (head === 'qc') return `QC ${rest.map(words).join(' ') || 'checks'}`;
  return words(head);
};

/** A value as a change shows it; absent is "default". */
const shown = (path, value, providers) => {
  if (value === undefined || value === null || value === '') return CONFIG_COPY.defaultValue;
  if (path[0] === 'provider') return providerTitle(value, providers);
  if (path[0] === 'size') return sizeLabel(value);
  if (path[0] === 'style') return styleLabel(value);
  if (path[0] === 'output_format') return String(value).toUpperCase();
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  const text = String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

/** Every leaf of a settings object as [path, value] (arrays are leaves). */
function leaves(value, path = []) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.keys(value).flatMap((k) => leaves(value[k], [...path, k]));
  }
  return [[path, value]];
}

/**
 * What changed from one version to the next, as short phrases in the form's order:
 * ["steps 5 → 7", "QC min detail default → 5", "description"]. Covers every setting, also
 * those the summary leaves out (QC thresholds, the vision check, model, output format).
 * @param {{description?: string, settings?: any}} previous
 * @param {{description?: string, settings?: any}} current
 * @param {any[]} [providers] ProviderPublic[] (for titles)
 * @returns {string[]}
 */
export function versionChanges(previous, current, providers = []) {
  const order = ['provider', 'size', 'steps', 'style', 'count', 'model', 'output_format', 'qc'];
  const rank = (path) => {
    const i = order.indexOf(path[0]);
    return i === -1 ? order.length : i;
  };
  const before = new Map(leaves(previous.settings ?? {}).map(([p, v]) => [JSON.stringify(p), [p, v]]));
  const after = new Map(leaves(current.settings ?? {}).map(([p, v]) => [JSON.stringify(p), [p, v]]));
  const keys = [...new Set([...before.keys(), ...after.keys()])]
    .map((k) => (after.get(k) ?? before.get(k))[0])
    .filter((p) => p.length)
    .sort((a, b) => rank(a) - rank(b));
  const changes = [];
  for (const path of keys) {
    const key = JSON.stringify(path);
    const from = before.get(key)?.[1];
    const to = after.get(key)?.[1];
    if (JSON.stringify(canonical(from)) === JSON.stringify(canonical(to))) continue;
    changes.push(`${settingName(path)} ${shown(path, from, providers)} → ${shown(path, to, providers)}`);
  }
  if ((previous.description ?? '').trim() !== (current.description ?? '').trim()) changes.push('description');
  return changes;
}
