// The admin console's pages but Policy: user search, a user's page (methods, TAP, attempts with the four questions, diagnosis), the audit log with export, and the optional reports.

import {
  $, api, clear, download, errorOf, errorView, fill, formatTime, groupNames, h, mayManageMethodsOf, me, passExpiry,
  passkeyTypeLabel, relative, showError, toCsv,
} from './kw.js';

const main = document.getElementById('main');

/**
 * Reports that arrive with the governance work. A page shows one when its endpoint answers 200 and otherwise
 * says plainly that this version does not have it: nothing is estimated or invented here.
 */
const OPTIONAL = {
  diagnosis: (user) => '/v1/users/' + encodeURIComponent(user) + '/passkeyDiagnosis',
  inventory: '/v1/reports/passkeyInventory',
  findings: '/v1/reports/findings',
  rollout: '/v1/reports/rollout',
  whatIf: '/v1/policies/authenticationMethodsPolicy/whatIf',
};

/** Whether an answer means "this keywarden has no such endpoint" rather than a refusal worth showing. */
function absent(answer) {
  const code = answer.body && answer.body.error && answer.body.error.code;
  return answer.status === 404 || answer.status === 405 || code === 'route_not_found';
}

function notAvailable(what) {
  return h('div', { class: 'notice' }, h('p', { text: what + ' is not available in this version of keywarden.' }));
}

/* Users */

async function usersPage() {
  await me();
  const form = $('#user-search');
  const table = $('#results');
  const status = $('#results-status');
  const more = $('#more');
  let next = null;
  const params = new URLSearchParams(location.search);
  form.elements.search.value = params.get('search') || '';

  async function load(url, append) {
    fill(status, 'Searching…');
    const answer = await api('GET', url);
    if (!answer.ok) {
      showError(status, errorOf(answer));
      return;
    }
    const rows = (answer.body.value || []).map((u) => h('tr', {},
      h('td', {}, h('a', { href: '/admin/users/' + encodeURIComponent(u.id), text: u.displayName })),
      h('td', { class: 'break', text: u.userPrincipalName }),
      h('td', { text: u.userType + (u.accountEnabled ? '' : ' (disabled)') }),
      h('td', { text: (u.roles || []).join(', ') || '—' })));
    const body = $('tbody', table);
    if (append) body.append(...rows);
    else fill(body, rows);
    table.hidden = body.children.length === 0;
    status.className = 'status muted';
    fill(status, body.children.length ? body.children.length + ' user(s) shown.' : 'No user matches.');
    next = answer.body['@odata.nextLink'] || null;
    more.hidden = !next;
  }

  function search() {
    const query = form.elements.search.value.trim();
    const url = new URL(location.href);
    if (query) url.searchParams.set('search', query);
    else url.searchParams.delete('search');
    history.replaceState(null, '', url);
    load('/v1/users?top=50' + (query ? '&search=' + encodeURIComponent(query) : ''), false);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  more.addEventListener('click', () => next && load(next, true));
  search();
}

/* One user */

const QUESTIONS = [
  [1, 'eligible', 'Eligible?'],
  [2, 'recentlyVerified', 'Recently verified?'],
  [3, 'platform', 'Can the platform host it?'],
  [4, 'accepted', 'Is the authenticator accepted?'],
];

const PATHS = { thisDevice: 'this device', phone: 'a phone or tablet', securityKey: 'a security key' };

async function userPage() {
  const viewer = await me();
  const key = main.dataset.user;
  const base = '/v1/users/' + encodeURIComponent(key);
  const answer = await api('GET', base);
  if (!answer.ok) {
    showError($('#page-error'), errorOf(answer));
    for (const id of ['diagnosis', 'effective-policy', 'passkeys', 'tap', 'attempts']) fill($('#' + id));
    return;
  }
  const target = answer.body;
  const [groups, policy] = await Promise.all([groupNames(), api('GET', '/v1/policies/authenticationMethodsPolicy')]);
  const profiles = new Map();
  if (policy.ok) {
    const fido2 = (policy.body.authenticationMethodConfigurations || []).find((c) => c.id === 'Fido2');
    for (const p of (fido2 && fido2.passkeyProfiles) || []) profiles.set(p.id, p.name);
  }
  const names = { groups, profiles };
  document.title = target.displayName + ' · keywarden';
  $('#user-title').textContent = target.displayName;
  const memberOf = (target.memberOf || []).map((id) => groups.get(id) || id);
  fill($('#user-subtitle'), target.userPrincipalName + ' · ' + target.userType + (target.accountEnabled ? '' : ' · disabled') +
    ' · roles: ' + ((target.roles || []).join(', ') || 'none') + ' · groups: ' + (memberOf.join(', ') || 'none'));
  const manage = mayManageMethodsOf(viewer, target);
  const context = { base, target, viewer, manage, names };
  const attempts = await loadAttempts(context);
  await Promise.all([loadDiagnosis(context, attempts), loadPasskeys(context), loadPass(context)]);
  renderEffectivePolicy(context, attempts);
  if (manage) setUpIssue(context);
}

async function loadDiagnosis(context, attempts) {
  const box = $('#diagnosis');
  box.classList.remove('muted');
  const answer = await api('GET', OPTIONAL.diagnosis(context.target.id));
  const latest = attempts[0];
  const recorded = latest
    ? [h('p', { text: 'What keywarden recorded at this user\'s latest registration attempt (' + formatTime(latest.startedDateTime) + '):' }), attemptSummary(latest)]
    : [h('p', { text: 'This user has made no registration attempt yet.' })];
  if (answer.ok) {
    fill(box, genericView(answer.body), h('h3', { text: 'Latest attempt' }), recorded);
    return;
  }
  if (absent(answer)) {
    fill(box, notAvailable('A diagnosis of whether this user can register now, and with what,'), recorded);
    return;
  }
  fill(box, h('div', { class: 'notice bad' }, errorView(errorOf(answer))), recorded);
}

/** The outcome of one attempt in a sentence or two, with the fix. */
function attemptSummary(attempt) {
  if (attempt.status === 'succeeded') {
    return h('div', { class: 'notice ok' }, h('p', { text: 'The attempt succeeded: a passkey was registered.' }));
  }
  if (attempt.status === 'open') {
    return h('div', { class: 'notice' }, h('p', { text: 'The attempt is open: creation options were handed out and the browser has not answered.' }));
  }
  const question = QUESTIONS.find(([n]) => n === attempt.failedQuestion);
  const parts = [h('p', {}, h('strong', { text: 'Failed at question ' + attempt.failedQuestion + (question ? ' (' + question[2] + ')' : '') + ': ' }), h('code', { text: attempt.outcome || '' }))];
  if (attempt.outcomeSummary) parts.push(h('p', { text: attempt.outcomeSummary }));
  if (attempt.clientReport) parts.push(h('p', { text: clientSentence(attempt.clientReport) }));
  if (attempt.fix) parts.push(h('p', {}, h('strong', { text: 'Fix: ' }), attempt.fix));
  return h('div', { class: 'notice bad' }, parts);
}

function clientSentence(report) {
  return 'The browser reported ' + report.name + (report.message ? ' ("' + report.message + '")' : '') +
    (report.path ? ' on the path "' + PATHS[report.path] + '"' : '') + '.';
}

function renderEffectivePolicy(context, attempts) {
  const box = $('#effective-policy');
  box.classList.remove('muted');
  const withQ1 = attempts.find((a) => a.questions && a.questions.eligible);
  const note = notAvailable('Computing the effective policy for a user on demand');
  if (!withQ1) {
    fill(box, note, h('p', { text: 'No registration attempt has recorded the policy that applied to this user yet.' }));
    return;
  }
  const evidence = withQ1.questions.eligible.evidence;
  const { groups, profiles } = context.names;
  const group = (id) => (id === 'all_users' ? 'all users' : groups.get(id) || id);
  fill(box, note,
    h('p', { text: 'As applied at the attempt of ' + formatTime(withQ1.startedDateTime) + ' (policy version ' + withQ1.policyVersion + '):' }),
    h('dl', { class: 'facts' },
      h('dt', { text: 'Passkey method' }), h('dd', { text: evidence.methodState }),
      h('dt', { text: 'Self-service registration' }), h('dd', { text: evidence.selfServiceRegistrationAllowed ? 'allowed' : 'off' }),
      h('dt', { text: 'Included by' }), h('dd', { text: (evidence.includedBy || []).map((m) => group(m.targetId) + (m.isRegistrationRequired ? ' (registration required)' : '')).join(', ') || 'no include target' }),
      h('dt', { text: 'Excluded by' }), h('dd', { text: (evidence.excludedBy || []).map((t) => group(t.id)).join(', ') || 'nothing' }),
      h('dt', { text: 'Passkey profiles' }), h('dd', { text: (evidence.profiles || []).map((p) => profiles.get(p) || p).join(', ') || 'none' })));
}

async function loadAttempts(context) {
  const box = $('#attempts');
  const answer = await api('GET', context.base + '/registrationAttempts');
  box.classList.remove('muted');
  if (!answer.ok) {
    showError(box, errorOf(answer));
    return [];
  }
  const attempts = (answer.body.value || []).slice().sort((a, b) => b.startedDateTime.localeCompare(a.startedDateTime));
  if (!attempts.length) {
    fill(box, h('p', { class: 'muted', text: 'No registration attempt yet.' }));
    return attempts;
  }
  fill(box, attempts.map((attempt, i) => attemptView(attempt, context, i === 0)));
  return attempts;
}

function statusBadge(attempt) {
  const kind = attempt.status === 'succeeded' ? 'ok' : attempt.status === 'failed' ? 'bad' : 'warn';
  return h('span', { class: 'badge ' + kind, text: attempt.status });
}

function attemptView(attempt, context, open) {
  const initiator = attempt.initiatedBy || {};
  const who = attempt.onBehalf ? 'by ' + (initiator.userPrincipalName || initiator.displayName || initiator.appId || 'an administrator') + ' on the user\'s behalf' : 'by the user';
  const summary = h('summary', {},
    h('strong', { text: formatTime(attempt.startedDateTime) }),
    statusBadge(attempt),
    attempt.outcome ? h('code', { text: attempt.outcome }) : null,
    attempt.failedQuestion ? h('span', { class: 'muted', text: 'question ' + attempt.failedQuestion }) : null,
    h('span', { class: 'muted small', text: who }));
  const questions = h('ol', { class: 'questions' }, QUESTIONS.map(([n, key, title]) => questionView(n, key, title, attempt, context)));
  const body = h('div', { class: 'attempt-body' },
    questions,
    attempt.fix ? h('p', {}, h('strong', { text: 'Fix: ' }), attempt.fix) : null,
    h('p', { class: 'reference', text: 'Attempt ' + attempt.id + ' · correlation ' + attempt.correlationId + ' · policy version ' + attempt.policyVersion + (attempt.ipAddress ? ' · from ' + attempt.ipAddress : '') }),
    h('details', {}, h('summary', { text: 'Raw evidence' }), h('pre', { class: 'json', text: JSON.stringify(attempt, null, 2) })));
  return h('details', { class: 'attempt', open: open || undefined, data: { attempt: attempt.id } }, summary, body);
}

function questionView(number, key, title, attempt, context) {
  const answer = attempt.questions && attempt.questions[key];
  let state = 'not reached';
  let css = '';
  if (answer) {
    state = answer.passed ? 'passed' : 'failed: ' + (answer.code || attempt.outcome);
    css = answer.passed ? 'passed' : 'failed';
  } else if (attempt.failedQuestion === number) {
    state = 'failed: ' + attempt.outcome;
    css = 'failed';
  }
  return h('li', { class: css, data: { question: String(number) } },
    h('div', { class: 'q-title', text: number + '. ' + title + ' — ' + state }),
    answer ? evidenceView(key, answer.evidence || {}, attempt, context) : null);
}

function yesNo(value) {
  return value === true ? 'yes' : value === false ? 'no' : 'unknown';
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v) })]));
}

function evidenceView(key, evidence, attempt, context) {
  const { groups, profiles } = context.names;
  switch (key) {
    case 'eligible':
      return facts([
        ['Method', evidence.methodState],
        ['Account enabled', yesNo(evidence.accountEnabled)],
        ['User type', evidence.userType],
        ['Included by', (evidence.includedBy || []).map((m) => (m.targetId === 'all_users' ? 'all users' : groups.get(m.targetId) || m.targetId)).join(', ') || 'none'],
        ['Excluded by', (evidence.excludedBy || []).map((t) => groups.get(t.id) || t.id).join(', ') || 'none'],
        ['Self-service', evidence.selfServiceRegistrationAllowed ? 'allowed' : 'off'],
        ['Profiles', (evidence.profiles || []).map((p) => profiles.get(p) || p).join(', ') || 'none'],
      ]);
    case 'recentlyVerified':
      return facts([
        ['Who had to verify', evidence.verifiedParty],
        ['Last strong authentication', evidence.lastStrongAuthentication ? formatTime(evidence.lastStrongAuthentication) + ' (' + evidence.lastStrongMethod + ')' : 'none'],
        ['Window', evidence.windowMinutes + ' minutes' + (evidence.viaOneTimeAccessPass ? ' (one-time pass)' : '')],
        ['Verified until', evidence.verifiedUntil ? formatTime(evidence.verifiedUntil) : ''],
        ['Methods to verify with', (evidence.usableMethods || []).join(', ') || 'none'],
      ]);
    case 'platform': {
      const client = evidence.client;
      const rows = [];
      if (client) {
        const capabilities = Object.entries(client.clientCapabilities || {});
        rows.push(['Browser said', client.name + (client.message ? ': ' + client.message : '')]);
        rows.push(['Path chosen', client.path ? PATHS[client.path] : 'not reported']);
        rows.push(['Platform authenticator available', yesNo(client.userVerifyingPlatformAuthenticatorAvailable)]);
        rows.push(['Capabilities supported', capabilities.filter(([, v]) => v).map(([k]) => k).join(', ') || 'none reported']);
        rows.push(['Capabilities missing', capabilities.filter(([, v]) => !v).map(([k]) => k).join(', ') || 'none']);
        rows.push(['User agent', client.userAgent]);
      }
      if (evidence.format) rows.push(['Attestation format', evidence.format]);
      if (evidence.userVerified !== undefined && evidence.userVerified !== null) rows.push(['User verified', yesNo(evidence.userVerified)]);
      if (evidence.hardwareBacked !== undefined && evidence.hardwareBacked !== null) rows.push(['Hardware-backed key', yesNo(evidence.hardwareBacked)]);
      for (const note of evidence.notes || []) rows.push(['Note', note]);
      return facts(rows);
    }
    case 'accepted':
      return h('div', {},
        facts([
          ['Authenticator', (evidence.model || 'unknown model') + ' (' + evidence.aaguid + ')'],
          ['Passkey type', passkeyTypeLabel(evidence.passkeyType)],
          ['Attestation', evidence.attestationLevel],
          ['Admitted by', evidence.admittedBy ? profiles.get(evidence.admittedBy) || evidence.admittedBy : ''],
        ]),
        h('ul', {}, (evidence.verdicts || []).map((v) => h('li', {},
          h('strong', { text: v.profileName + ': ' }),
          v.accepted ? 'accepts' : v.denials.map((d) => d.detail).join('; ')))),
        (evidence.notes || []).map((n) => h('p', { class: 'small muted', text: n })));
    default:
      return h('pre', { class: 'json', text: JSON.stringify(evidence, null, 2) });
  }
}

async function loadPasskeys(context) {
  const box = $('#passkeys');
  box.classList.remove('muted');
  const answer = await api('GET', context.base + '/authentication/fido2Methods');
  if (!answer.ok) {
    showError(box, errorOf(answer));
    return;
  }
  const passkeys = answer.body.value || [];
  if (!passkeys.length) {
    fill(box, h('p', { class: 'muted', text: 'No passkey.' }));
    return;
  }
  const rows = passkeys.map((p) => h('tr', {},
    h('td', {}, h('strong', { text: p.displayName })),
    h('td', {}, (p.model || 'unknown model'), h('br'), h('code', { class: 'small', text: p.aaGuid })),
    h('td', { text: passkeyTypeLabel(p.passkeyType) }),
    h('td', { text: p.attestationLevel }),
    h('td', { text: formatTime(p.createdDateTime) }),
    h('td', { text: p.lastUsedDateTime ? formatTime(p.lastUsedDateTime) : 'never' }),
    h('td', { text: (p.registeredBy === 'self' ? 'the user' : p.registeredBy) + (p.admittingProfile ? ' · ' + (context.names.profiles.get(p.admittingProfile) || p.admittingProfile) : '') }),
    context.manage ? h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': 'Delete passkey ' + p.displayName, on: { click: (e) => deletePasskey(context, p, e.currentTarget) } }, 'Delete')) : null));
  fill(box, h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Name', 'Model', 'Type', 'Attestation', 'Created', 'Last used', 'Registered by · profile', context.manage ? 'Actions' : null].filter(Boolean).map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows))));
}

function notice(kind, ...content) {
  const box = $('#methods-notice');
  box.className = 'notice ' + kind;
  fill(box, ...content);
}

async function deletePasskey(context, passkey, button) {
  const cell = button.parentElement;
  const confirm = h('div', {},
    h('p', { class: 'small', text: 'Delete "' + passkey.displayName + '"?' }),
    h('button', { type: 'button', class: 'danger', on: { click: doDelete } }, 'Delete'), ' ',
    h('button', { type: 'button', on: { click: () => loadPasskeys(context) } }, 'Keep'));
  fill(cell, confirm);
  $('button', confirm).focus();
  async function doDelete() {
    const answer = await api('DELETE', context.base + '/authentication/fido2Methods/' + encodeURIComponent(passkey.id));
    if (answer.status === 204) notice('ok', 'Passkey "' + passkey.displayName + '" deleted. The change is in the audit log.');
    else notice('bad', errorView(errorOf(answer)));
    await loadPasskeys(context);
  }
}

async function loadPass(context) {
  const box = $('#tap');
  box.classList.remove('muted');
  const answer = await api('GET', context.base + '/authentication/temporaryAccessPassMethods');
  if (!answer.ok) {
    showError(box, errorOf(answer));
    return;
  }
  const pass = (answer.body.value || [])[0];
  if (!pass) {
    fill(box, h('p', { class: 'muted', text: 'No Temporary Access Pass.' }));
    return;
  }
  const expires = passExpiry(pass);
  fill(box, h('div', { class: 'notice' },
    h('p', {}, h('span', { class: 'badge ' + (pass.isUsable ? 'ok' : ''), text: pass.isUsable ? 'Usable' : 'Not usable: ' + pass.methodUsabilityReason }),
      ' ' + (pass.isUsableOnce ? 'One-time' : 'Multi-use') + ' pass, ' + pass.lifetimeInMinutes + ' minutes from ' + formatTime(pass.startDateTime) + ', expires ' + relative(expires) + '.'),
    h('p', { class: 'small muted', text: 'The code was shown once, when the pass was issued; keywarden keeps only its hash.' }),
    context.manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', on: { click: () => revokePass(context, pass) } }, 'Revoke pass')) : null));
}

async function revokePass(context, pass) {
  const answer = await api('DELETE', context.base + '/authentication/temporaryAccessPassMethods/' + encodeURIComponent(pass.id));
  if (answer.status === 204) notice('ok', 'Temporary Access Pass revoked. The change is in the audit log.');
  else notice('bad', errorView(errorOf(answer)));
  await loadPass(context);
}

function setUpIssue(context) {
  const form = $('#tap-form');
  form.hidden = false;
  const issued = $('#tap-issued');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const el of form.querySelectorAll('.field-error')) clear(el);
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const request = { isUsableOnce: form.elements.isUsableOnce.checked };
    const lifetime = form.elements.lifetimeInMinutes.value.trim();
    if (lifetime) request.lifetimeInMinutes = Number(lifetime);
    const start = form.elements.startDateTime.value;
    if (start) request.startDateTime = new Date(start).toISOString();
    const answer = await api('POST', context.base + '/authentication/temporaryAccessPassMethods', request);
    if (answer.status !== 201) {
      const error = errorOf(answer);
      const field = /start/i.test(error.message) ? 'startDateTime' : /lifetime/i.test(error.message) ? 'lifetimeInMinutes' : null;
      if (field) {
        form.elements[field].setAttribute('aria-invalid', 'true');
        fill($('[data-field="' + field + '"]', form), error.message);
        form.elements[field].focus();
      } else {
        notice('bad', errorView(error));
      }
      return;
    }
    showIssued(issued, answer.body);
    await loadPass(context);
  });
}

/** The pass's code, shown once: it lives only in this element until "Done" removes it. */
function showIssued(box, pass) {
  const expires = passExpiry(pass);
  const code = h('p', { class: 'secret', id: 'tap-code', text: pass.temporaryAccessPass });
  fill(box, h('div', { class: 'notice ok', role: 'status' },
    h('h3', { text: 'Temporary Access Pass issued' }),
    h('p', { text: 'Give this code to the user now. It is shown only once and cannot be shown again.' }),
    code,
    facts([
      ['Valid', formatTime(pass.startDateTime) + ' to ' + formatTime(expires)],
      ['Lifetime', pass.lifetimeInMinutes + ' minutes'],
      ['Use', pass.isUsableOnce ? 'one-time (consumed when a passkey is registered with it)' : 'multi-use within its lifetime'],
    ]),
    h('div', { class: 'actions' },
      navigator.clipboard ? h('button', { type: 'button', on: { click: () => navigator.clipboard.writeText(pass.temporaryAccessPass) } }, 'Copy code') : null,
      h('button', { type: 'button', class: 'primary', on: { click: () => clear(box) } }, 'Done'))));
  $('button', box).focus();
}

/** Any JSON the API answers, shown as facts for scalars and formatted JSON for the rest. */
function genericView(body) {
  const pairs = [];
  const nested = [];
  for (const [key, value] of Object.entries(body || {})) {
    if (value !== null && typeof value === 'object') nested.push(h('details', {}, h('summary', { text: key }), h('pre', { class: 'json', text: JSON.stringify(value, null, 2) })));
    else pairs.push([key, value]);
  }
  return h('div', {}, facts(pairs), nested);
}

/* Audit log */

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
  const form = $('#audit-filters');
  const table = $('#events');
  const status = $('#audit-status');
  const more = $('#audit-more');
  let next = null;

  const params = new URLSearchParams(location.search);
  for (const [name, value] of params) if (form.elements[name]) form.elements[name].value = value;

  function query(top) {
    const search = new URLSearchParams();
    for (const name of ['since', 'until', 'activity', 'initiator', 'target', 'result', 'correlationId']) {
      const value = form.elements[name].value.trim();
      if (value) search.set(name, value);
    }
    search.set('top', String(top));
    return search;
  }

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

  /** Every event matching the filters, page by page (bounded). */
  async function everything() {
    const events = [];
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

/* Inventory, findings, rollout */

async function reportPage() {
  await me();
  const report = main.dataset.report;
  const title = main.dataset.title;
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
  const items = Array.isArray(answer.body.value) ? answer.body.value : [];
  fill(status, items.length + ' row(s).');
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
  if (report === 'rollout') fill($('#report-chart'), coverageChart(items));
  fill($('#report-table'), h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, items.map((item) => h('tr', {}, columns.map((c) => h('td', { class: 'break', text: cellText(item[c]) })))))));
  const exports = $('#report-export');
  exports.hidden = items.length === 0;
  exports.addEventListener('click', (event) => {
    const format = event.target.dataset.format;
    if (format === 'csv') download('keywarden-' + report + '.csv', 'text/csv', toCsv(items, columns));
    if (format === 'json') download('keywarden-' + report + '.json', 'application/json', JSON.stringify(items, null, 2));
  });
}

function cellText(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
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

const PAGES = { 'admin-users': usersPage, 'admin-user': userPage, 'admin-audit': auditPage, 'admin-report': reportPage };
const run = PAGES[document.body.dataset.page];
if (run) run().catch((e) => showError($('#page-error') || main, { message: e.message }));

export { OPTIONAL, absent, genericView, notAvailable };
