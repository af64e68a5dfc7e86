// What the admin console's page scripts share: the endpoints an older keywarden may not have (and saying so plainly), answers shown as a list of facts, and starting a page so that an error it throws is shown.
// @ts-check

import { h, showError } from './kw.js';

/** @typedef {import('./kw.js').Answer} Answer */
/** @typedef {import('./kw.js').Child} Child */

/**
 * Endpoints an older keywarden may not have. A page shows one's answer when it has it and otherwise says plainly
 * that this version does not have it: nothing is estimated or invented here.
 */
export const OPTIONAL = {
  /** @param {string} user */
  diagnosis: (user) => '/v1/users/' + encodeURIComponent(user) + '/passkeyDiagnosis',
  /** @param {string} user */
  effectivePolicy: (user) => '/v1/users/' + encodeURIComponent(user) + '/effectivePolicy',
  inventory: '/v1/reports/passkeyInventory',
  findings: '/v1/reports/findings',
  rollout: '/v1/reports/rollout',
  whatIf: '/v1/policies/authenticationMethodsPolicy/whatIf',
};

/**
 * Whether an answer means "this keywarden has no such endpoint" rather than a refusal worth showing. A 404 whose
 * code is `not_found` is the endpoint saying that what it was asked about (a user, an attempt) does not exist.
 * @param {Answer} answer
 */
export function absent(answer) {
  const code = answer.body && answer.body.error && answer.body.error.code;
  if (code === 'route_not_found' || answer.status === 501) return true;
  return (answer.status === 404 || answer.status === 405) && code !== 'not_found';
}

/** @param {string} what */
export function notAvailable(what) {
  return h('div', { class: 'notice' }, h('p', { text: what + ' is not available in this version of keywarden.' }));
}

/**
 * A definition list of [term, value] pairs; a value is text, a node or a list of them; empty values are left out.
 * @param {[string, Child][]} pairs
 */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, typeof v === 'object' ? v : String(v))]));
}

/**
 * Any JSON the API answers, shown as facts for scalars and formatted JSON for the rest.
 * @param {Record<string, unknown> | null | undefined} body
 */
export function genericView(body) {
  /** @type {[string, Child][]} */
  const pairs = [];
  const nested = [];
  for (const [key, value] of Object.entries(body || {})) {
    if (value !== null && typeof value === 'object') nested.push(h('details', {}, h('summary', { text: key }), h('pre', { class: 'json', text: JSON.stringify(value, null, 2) })));
    else pairs.push([key, /** @type {string | number | boolean | null | undefined} */ (value)]);
  }
  return h('div', {}, facts(pairs), nested);
}

/**
 * Runs a page's script. An error it throws is shown where the page shows errors: its `#page-error` box, or `<main>`.
 * @param {() => Promise<void>} page
 */
export function runPage(page) {
  page().catch((e) => {
    const box = document.getElementById('page-error') || document.getElementById('main');
    if (box) showError(box, { message: e instanceof Error ? e.message : String(e) });
  });
}
