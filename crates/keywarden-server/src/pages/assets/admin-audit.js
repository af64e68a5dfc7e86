// The admin console's Audit log page: filters, the directoryAudit events newest first (page by page), and export of every matching event as CSV or JSON lines.
// @ts-check

import { $, api, control, download, errorOf, fill, formatTime, h, me, showError, toCsv } from './kw.js';
import { runPage } from './admin-answers.js';

/** @typedef {import('./kw.js').Json} Json */

/** The CSV export's columns: Graph's directoryAudit fields, with the initiator and targets as names. */
const AUDIT_COLUMNS = ['activityDateTime', 'activityDisplayName', 'result', 'resultReason', 'initiatedBy', 'targets', 'correlationId', 'additionalDetails', 'id'];

function initiatorName(initiatedBy) {
  const user = initiatedBy && initiatedBy.user;
  const app = initiatedBy && initiatedBy.app;
  if (user) return user.userPrincipalName || user.displayName || 'anonymous';
  if (app) return app.displayName || app.appId;
  return '';
}

function targetNames(event) {
  return (event.targetResources || []).map((t) => t.userPrincipalName || t.displayName || t.id).join(', ');
}

async function auditPage() {
  await me();
  const form = /** @type {HTMLFormElement} */ ($('#audit-filters'));
  const table = $('#events');
  const status = $('#audit-status');
  const more = $('#audit-more');
  /** @type {string | null} */
  let next = null;

  const params = new URLSearchParams(location.search);
  for (const [name, value] of params) {
    const filter = /** @type {HTMLInputElement | null} */ (form.elements.namedItem(name));
    if (filter) filter.value = value;
  }

  /**
   * The filters as a query string, asking for `top` events a page.
   * @param {number} top
   */
  function query(top) {
    const search = new URLSearchParams();
    for (const name of ['since', 'until', 'activity', 'initiator', 'target', 'result', 'correlationId']) {
      const value = control(form, name).value.trim();
      if (value) search.set(name, value);
    }
    search.set('top', String(top));
    return search;
  }

  /**
   * Shows a page of events, in place of the list or after it.
   * @param {string} url
   * @param {boolean} append
   */
  async function load(url, append) {
    fill(status, 'Loading…');
    status.className = 'status muted';
    const answer = await api('GET', url);
    if (!answer.ok) {
      showError(status, errorOf(answer));
      return;
    }
    const rows = (answer.body.value || []).map((event) => h('tr', {},
      h('td', { text: formatTime(event.activityDateTime) }),
      h('td', { text: event.activityDisplayName }),
      h('td', {}, h('span', { class: 'badge ' + (event.result === 'success' ? 'ok' : 'bad'), text: event.result }), ' ', h('span', { class: 'small', text: event.resultReason })),
      h('td', { class: 'break', text: initiatorName(event.initiatedBy) }),
      h('td', { class: 'break', text: targetNames(event) }),
      h('td', {}, h('details', {}, h('summary', { text: 'Details' }), h('pre', { class: 'json', text: JSON.stringify({ additionalDetails: event.additionalDetails, targetResources: event.targetResources, correlationId: event.correlationId }, null, 2) })))));
    const body = $('tbody', table);
    if (append) body.append(...rows);
    else fill(body, rows);
    table.hidden = body.children.length === 0;
    fill(status, body.children.length ? body.children.length + ' event(s) shown, newest first.' : 'No event matches.');
    next = answer.body['@odata.nextLink'] || null;
    more.hidden = !next;
  }

  function apply() {
    const search = query(50);
    const url = new URL(location.href);
    url.search = search.toString();
    history.replaceState(null, '', url);
    load('/v1/auditLogs/directoryAudits?' + search, false);
  }

  /**
   * Every event matching the filters, page by page (bounded).
   * @returns {Promise<Json[] | null>}
   */
  async function everything() {
    /** @type {Json[]} */
    const events = [];
    /** @type {string | null} */
    let url = '/v1/auditLogs/directoryAudits?' + query(1000);
    for (let page = 0; url && page < 100; page++) {
      const answer = await api('GET', url);
      if (!answer.ok) {
        showError(status, errorOf(answer));
        return null;
      }
      events.push(...(answer.body.value || []));
      url = answer.body['@odata.nextLink'] || null;
    }
    return events;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  more.addEventListener('click', () => next && load(next, true));
  $('#export-csv').addEventListener('click', async () => {
    const events = await everything();
    if (!events) return;
    const rows = events.map((e) => ({ ...e, initiatedBy: initiatorName(e.initiatedBy), targets: targetNames(e) }));
    download('keywarden-audit.csv', 'text/csv', toCsv(rows, AUDIT_COLUMNS));
    fill(status, events.length + ' event(s) exported as CSV.');
  });
  $('#export-jsonl').addEventListener('click', async () => {
    const events = await everything();
    if (!events) return;
    download('keywarden-audit.jsonl', 'application/x-ndjson', events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : ''));
    fill(status, events.length + ' event(s) exported as JSON lines.');
  });
  apply();
}

runPage(auditPage);
