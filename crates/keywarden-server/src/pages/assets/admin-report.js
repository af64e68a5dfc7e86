// The admin console's report pages (Inventory, Findings, Rollout): the report as a table with CSV and JSON export, the rollout's chart, or a plain "not available" from an older keywarden.
// @ts-check

import { $, api, byId, download, errorOf, fill, h, me, showError, toCsv } from './kw.js';
import { OPTIONAL, absent, notAvailable, runPage } from './admin-answers.js';

async function reportPage() {
  await me();
  const main = byId('main');
  // The server names one of the three reports and its title (pages/mod.rs, `admin_report`).
  const report = /** @type {'inventory' | 'findings' | 'rollout'} */ (main.dataset.report);
  const title = main.dataset.title ?? '';
  $('#report-title').textContent = title;
  const status = $('#report-status');
  const answer = await api('GET', OPTIONAL[report]);
  if (!answer.ok) {
    if (absent(answer)) {
      status.className = 'status';
      fill(status, notAvailable('The ' + title.toLowerCase() + ' report'),
        h('p', { class: 'muted', text: 'It arrives with the governance features. Nothing is shown here rather than an estimate.' }));
    } else {
      showError(status, errorOf(answer));
    }
    return;
  }
  let items = Array.isArray(answer.body.value) ? answer.body.value : [];
  if (report === 'rollout') {
    fill($('#report-chart'), rolloutChart(items));
    items = items.concat(answer.body.allUsers ? [answer.body.allUsers] : []).map(rolloutRow);
  }
  fill(status, items.length + ' row(s).');
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
  fill($('#report-table'), h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, items.map((item) => h('tr', {}, columns.map((c) => reportCell(cellText(item[c]))))))));
  const exports = $('#report-export');
  exports.hidden = items.length === 0;
  exports.addEventListener('click', (event) => {
    const format = /** @type {HTMLElement} */ (event.target).dataset.format;
    if (format === 'csv') download('keywarden-' + report + '.csv', 'text/csv', toCsv(items, columns));
    if (format === 'json') download('keywarden-' + report + '.json', 'application/json', JSON.stringify(items, null, 2));
  });
}

/** A report's cell. Only long unbroken text (ids, AAGUIDs, user names) may break anywhere: letting every cell break
 *  anywhere shrinks the columns of a wide table to a few letters each. */
/** @param {string} text */
function reportCell(text) {
  return h('td', { class: text.length > 24 && !/\s/.test(text) ? 'break' : undefined, text });
}

function cellText(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** A ring of the rollout report as one flat row (the table and its CSV export). */
function rolloutRow(ring) {
  const attempts = ring.attempts || {};
  return {
    ring: ring.displayName,
    targeting: ring.targeting,
    profiles: (ring.profiles || []).map((p) => p.name).join(', '),
    members: ring.members,
    targeted: ring.targeted,
    covered: ring.covered,
    coverage: Math.round((ring.coverage || 0) * 100) + '%',
    refused: ring.refused,
    attempts: attempts.total,
    succeeded: attempts.succeeded,
    failed: attempts.failed,
    failureCodes: (attempts.failureCodes || []).map((c) => c.code + ' ×' + c.attempts).join(', '),
  };
}

/** The server's chart (the same SVG as `keywarden rollout status --svg`); the coverage bars if it cannot load. */
function rolloutChart(rings) {
  const image = h('img', { src: OPTIONAL.rollout + '.svg', alt: 'Passkey rollout by ring: members, targeted and covered users', class: 'chart' });
  image.addEventListener('error', () => fill($('#report-chart'), coverageChart(rings)));
  return image;
}

/** Bars for rows that carry a coverage share (0 to 1), as the rollout report's rings do; nothing otherwise. */
function coverageChart(items) {
  const rows = items.filter((i) => typeof i.coverage === 'number');
  if (!rows.length) return null;
  return h('div', { class: 'bars', role: 'img', 'aria-label': 'Coverage per ring' }, rows.map((item) => {
    const share = Math.max(0, Math.min(1, item.coverage));
    const fillBar = h('div', { class: 'bar-fill' });
    fillBar.style.width = (share * 100).toFixed(1) + '%';
    return h('div', { class: 'bar-row' },
      h('span', { class: 'break', text: item.displayName || item.ring || item.id || '' }),
      h('div', { class: 'bar-track' }, fillBar),
      h('span', { text: Math.round(share * 100) + '%' }));
  }));
}

runPage(reportPage);
