// The admin console's pages but Policy: user search, a user's page (the diagnosis as the four-question decision tree, the effective policy, methods, TAP, attempts with the four questions), the audit log with export, and the optional reports.

import {
  $, METHOD_NAMES, adminApi, api, clear, download, errorOf, errorView, fill, formatTime, groupNames, h, mayOn, me,
  passExpiry, passkeyTypeLabel, relative, showError, toCsv,
} from './kw.js';

const main = document.getElementById('main');

/**
 * Endpoints an older keywarden may not have. A page shows one's answer when it has it and otherwise says plainly
 * that this version does not have it: nothing is estimated or invented here.
 */
const OPTIONAL = {
  diagnosis: (user) => '/v1/users/' + encodeURIComponent(user) + '/passkeyDiagnosis',
  effectivePolicy: (user) => '/v1/users/' + encodeURIComponent(user) + '/effectivePolicy',
  inventory: '/v1/reports/passkeyInventory',
  findings: '/v1/reports/findings',
  rollout: '/v1/reports/rollout',
  whatIf: '/v1/policies/authenticationMethodsPolicy/whatIf',
};

/**
 * Whether an answer means "this keywarden has no such endpoint" rather than a refusal worth showing. A 404 whose
 * code is `not_found` is the endpoint saying that what it was asked about (a user, an attempt) does not exist.
 */
function absent(answer) {
  const code = answer.body && answer.body.error && answer.body.error.code;
  if (code === 'route_not_found' || answer.status === 501) return true;
  return (answer.status === 404 || answer.status === 405) && code !== 'not_found';
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
  const manage = mayOn(target, 'manageMethods');
  // `diagnosis`: whether this keywarden answers passkeyDiagnosis (null until the first answer).
  const context = { base, target, viewer, manage, names, attempts: [], diagnosis: null };
  context.attempts = await fetchAttempts(context);
  setUpDiagnosis(context);
  const subject = new URLSearchParams(location.search).get('attempt');
  await Promise.all([showDiagnosis(context, subject || null), loadEffectivePolicy(context), loadPasskeys(context), loadPass(context)]);
  renderAttempts(context);
  if (manage) setUpIssue(context);
}

/* The diagnosis: the four questions walked for the user now, or for one attempt (GET passkeyDiagnosis). */

/** How each answer reads: a word and a sign besides the colour, so that the status never rests on colour alone. */
const STEP_STATUS = {
  passed: { label: 'Passed', sign: '✓', css: 'passed', badge: 'ok' },
  failed: { label: 'Failed', sign: '✗', css: 'failed', badge: 'bad' },
  notReached: { label: 'Not reached', sign: '–', css: 'not-reached', badge: '' },
  unknown: { label: 'Unknown', sign: '?', css: 'unknown', badge: 'warn' },
};

/** The fixes' actions in the playbook's words. */
const ACTIONS = {
  update_targeting: 'Update policy targeting',
  enable_passkey_method: 'Enable the passkey method',
  enable_account: 'Enable the account',
  use_member_account: 'Use a member account',
  allow_self_service: 'Turn on self-service set up',
  register_on_behalf: 'Register on the user\'s behalf',
  verify_again: 'Verify again',
  issue_access_pass: 'Issue a Temporary Access Pass',
  retry: 'Retry',
  switch_platform_path: 'Switch platform path',
  prepare_platform: 'Prepare the platform',
  use_configured_origin: 'Use the configured site address',
  use_existing_passkey: 'Use the existing passkey',
  add_aaguid: 'Add the AAGUID to the allow list',
  unblock_aaguid: 'Remove the AAGUID from the block list',
  steer_to_allowed_authenticator: 'Steer the user to an allowed authenticator',
  relax_attestation: 'Relax the attestation requirement',
  allow_passkey_type: 'Allow the passkey type',
  replace_authenticator: 'Replace the authenticator',
};

const KNOWLEDGE_PLATFORMS = {
  windowsHello: 'Windows Hello', ios: 'iOS', android: 'Android', securityKey: 'security key', anyPlatform: 'any platform',
};

function actionLabel(action) {
  if (ACTIONS[action]) return ACTIONS[action];
  const words = String(action || 'fix').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function diagnosisUrl(context, subject) {
  return OPTIONAL.diagnosis(context.target.id) + (subject ? '?attempt=' + encodeURIComponent(subject) : '');
}

function setUpDiagnosis(context) {
  $('#diagnose-now').addEventListener('click', () => showDiagnosis(context, null, true));
  $('#diagnose-latest').addEventListener('click', () => showDiagnosis(context, 'last', true));
}

/** Marks which diagnosis is shown, on the buttons and in the address (so that a reload or a link shows it again). */
function markSubject(context, subject) {
  const actions = $('#diagnosis-actions');
  actions.hidden = false;
  $('#diagnose-now').setAttribute('aria-pressed', String(!subject));
  const latest = $('#diagnose-latest');
  latest.setAttribute('aria-pressed', String(subject === 'last'));
  latest.hidden = context.attempts.length === 0 && subject !== 'last';
  const url = new URL(location.href);
  if (subject) url.searchParams.set('attempt', subject);
  else url.searchParams.delete('attempt');
  history.replaceState(null, '', url);
}

let diagnosisRequest = 0;

/**
 * Shows the diagnosis of `subject`: null for "now", 'last' for the latest attempt, or an attempt id. `focus` moves
 * the keyboard focus to it (after a button press). Only an older keywarden without the endpoint gets the fallback.
 */
async function showDiagnosis(context, subject, focus) {
  const box = $('#diagnosis');
  const status = $('#diagnosis-status');
  const request = ++diagnosisRequest;
  box.setAttribute('aria-busy', 'true');
  fill(status, subject === 'last' ? 'Diagnosing the latest attempt…' : subject ? 'Diagnosing the attempt…' : 'Diagnosing…');
  const answer = await api('GET', diagnosisUrl(context, subject));
  if (request !== diagnosisRequest) return;
  box.removeAttribute('aria-busy');
  box.classList.remove('muted');
  fill(status);
  if (absent(answer)) {
    context.diagnosis = false;
    $('#diagnosis-actions').hidden = true;
    fill(box, recordedDiagnosis(context));
    return;
  }
  context.diagnosis = true;
  markSubject(context, subject);
  if (!answer.ok) {
    fill(box, h('div', { class: 'notice bad', role: 'alert' }, errorView(errorOf(answer))));
    return;
  }
  fill(box, diagnosisView(answer.body, context));
  if (focus) $('#diagnosis-heading').focus();
}

/** An older keywarden: what the latest attempt recorded, and a plain "not available". */
function recordedDiagnosis(context) {
  const latest = context.attempts[0];
  const recorded = latest
    ? [h('p', { text: 'What keywarden recorded at this user\'s latest registration attempt (' + formatTime(latest.startedDateTime) + '):' }), attemptSummary(latest)]
    : [h('p', { text: 'This user has made no registration attempt yet.' })];
  return [notAvailable('A diagnosis of whether this user can register now, and with what,'), recorded];
}

function diagnosisView(d, context) {
  const subject = d.subject || {};
  const attempt = subject.kind === 'attempt' ? subject : null;
  const user = (d.user && d.user.displayName) || context.target.displayName;
  const heading = h('h3', {
    id: 'diagnosis-heading',
    tabindex: '-1',
    text: attempt ? 'Why did the attempt of ' + formatTime(attempt.startedAt) + ' end as it did?' : 'Can ' + user + ' register a passkey now?',
  });
  const kind = d.firstFailure ? 'bad' : attempt && attempt.status !== 'succeeded' ? 'warn' : 'ok';
  const verdict = h('div', { class: 'notice ' + kind },
    h('p', {}, h('strong', { text: d.summary })),
    d.firstFailure
      ? h('p', {}, 'The walk stops at question ' + d.firstFailure.question + ' (', h('code', { text: d.firstFailure.code }), '): act there first.')
      : null);
  return h('div', { class: 'diagnosis', data: { subject: attempt ? 'attempt' : 'now' } },
    heading,
    subjectFacts(d, attempt),
    verdict,
    h('ol', { class: 'questions tree', 'aria-label': 'The four questions' }, (d.questions || []).map((step) => stepView(step, context, 4))),
    profilesView(d.profiles || [], attempt ? 'Profiles that applied at the time' : 'Profiles that apply', 4,
      attempt ? 'No profile was recorded for the attempt.' : 'None: no passkey profile applies, so no passkey is accepted.'),
    d.today ? todayView(d, context) : null,
    (d.notes || []).length ? h('ul', { class: 'notes small' }, d.notes.map((n) => h('li', {}, h('strong', { text: 'Note: ' }), n))) : null);
}

function subjectFacts(d, attempt) {
  if (!attempt) {
    return facts([
      ['Diagnosed', formatTime(d.subject && d.subject.at)],
      ['Policy', 'version ' + d.policyVersion + ' (today\'s)'],
    ]);
  }
  return facts([
    ['Attempt', h('code', { class: 'break', text: attempt.id })],
    ['Begun', formatTime(attempt.startedAt) + (attempt.onBehalf ? ', by an administrator on the user\'s behalf' : ', by the user')],
    ['Ended', attempt.finishedAt ? formatTime(attempt.finishedAt) : 'not yet (still open)'],
    ['Outcome', [statusBadge(attempt), attempt.outcome ? [' ', h('code', { text: attempt.outcome })] : null]],
    ['Policy', 'version ' + d.policyVersion + ' (the one in force at the time)'],
  ]);
}

/** One question of the walk: its answer (in words and a sign), code, finding, evidence, failure modes and fixes. */
function stepView(step, context, level) {
  const status = STEP_STATUS[step.status] || { label: String(step.status), sign: '?', css: '', badge: '' };
  const sub = 'h' + (level + 1);
  const parts = [
    h('h' + level, { class: 'q-title' },
      step.question + '. ' + step.title + ' ',
      h('span', { class: 'badge ' + status.badge }, h('span', { 'aria-hidden': 'true', text: status.sign + ' ' }), status.label)),
  ];
  if (step.code || step.status !== 'notReached') {
    parts.push(h('p', { class: 'finding' },
      step.code ? [h('code', { class: 'code', text: step.code }), ' '] : null,
      step.finding));
  } else {
    parts.push(h('p', { class: 'finding muted', text: 'Not reached: an earlier question failed.' }));
  }
  const evidence = stepEvidence(step.evidence || {}, context);
  if (evidence) parts.push(h(sub, { text: 'Evidence' }), evidence);
  const modes = step.failureModes || [];
  if (modes.length) {
    parts.push(h(sub, { text: 'Known platform failure modes' }), h('ul', { class: 'modes' }, modes.map((mode) => h('li', { data: { mode: mode.id } },
      h('p', {}, h('strong', { text: mode.title }), ' ', h('span', { class: 'muted', text: '(' + (KNOWLEDGE_PLATFORMS[mode.platform] || mode.platform) + ')' })),
      h('p', {}, h('strong', { text: 'Why: ' }), mode.explanation),
      mode.fix ? h('p', {}, h('strong', { text: 'Fix, ' + actionLabel(mode.fix.action).toLowerCase() + ': ' }), mode.fix.text) : null,
      h('p', { class: 'reference', text: 'Source: ' + mode.source + ' · ' + mode.id })))));
  }
  const fixes = step.fixes || [];
  if (fixes.length) {
    parts.push(h(sub, { text: fixes.length === 1 ? 'Fix' : 'Fixes' }), h('ul', { class: 'fixes' }, fixes.map((fix) => h('li', { data: { action: fix.action } },
      h('strong', { text: actionLabel(fix.action) + ': ' }), fix.text))));
  }
  return h('li', { class: status.css, data: { question: String(step.question), status: step.status } }, parts);
}

function stepEvidence(evidence, context) {
  switch (evidence.kind) {
    case 'eligibility': return eligibilityFacts(evidence);
    case 'verification': return verificationFacts(evidence);
    case 'platform': return platformFacts(evidence);
    case 'acceptance': return acceptanceFacts(evidence, context);
    case 'none': case undefined: return null;
    default: return h('pre', { class: 'json', text: JSON.stringify(evidence, null, 2) });
  }
}

/** Whether a value was given (the API sends null for "not known"). */
function known(value) {
  return value !== null && value !== undefined;
}

function onOff(value) {
  return value ? 'on' : 'off';
}

function targetKind(target) {
  if (target.id === 'all_users') return '';
  return target.targetType === 'user' ? ' (user)' : ' (group)';
}

/** Policy targets with the profiles each allows, as a list; 'none' when empty. */
function targetsView(targets, none = 'none') {
  if (!targets || !targets.length) return none;
  return h('ul', { class: 'plain' }, targets.map((t) => h('li', {},
    h('span', { text: t.name + targetKind(t) }),
    (t.profiles || []).length ? ', allows ' + t.profiles.map((p) => p.name).join(', ') : '')));
}

function eligibilityFacts(e) {
  return facts([
    ['Passkey method', (e.methodState === 'enabled' ? 'enabled' : 'disabled') + '; self-service set up ' + onOff(e.selfServiceRegistrationAllowed)],
    ['Path', e.path === 'onBehalf' ? 'an administrator on the user\'s behalf' : 'self-service'],
    ['Account', (e.accountEnabled ? 'enabled' : 'disabled') + ', ' + e.userType],
    ['Member of', e.memberOf ? e.memberOf.map((g) => g.name).join(', ') || 'no group' : null],
    ['Included by', targetsView(e.includedBy, 'no include target covers the user')],
    ['Excluded by', targetsView(e.excludedBy, 'nothing')],
    ['Other include targets', (e.otherIncludeTargets || []).length ? targetsView(e.otherIncludeTargets) : null],
  ]);
}

function methodName(method) {
  return METHOD_NAMES[method] || method;
}

function verificationFacts(v) {
  const last = v.lastStrongAuthentication
    ? (v.lastStrongMethod ? methodName(v.lastStrongMethod) : 'a strong method') + ' at ' + formatTime(v.lastStrongAuthentication) +
      (v.verifiedUntil ? ', recent until ' + formatTime(v.verifiedUntil) : '')
    : 'none recorded';
  let pass = null;
  if (v.accessPass) {
    const p = v.accessPass;
    pass = (p.isUsableOnce ? 'one-time' : 'multi-use') + ', ' + formatTime(p.startDateTime) + ' to ' + formatTime(p.expiresDateTime) +
      '; usable: ' + yesNo(p.isUsable) + ' (' + p.methodUsabilityReason + ')' +
      (p.methodState === 'disabled' ? '; the pass method is disabled' : p.inPolicyScope ? '' : '; the pass method does not cover the user');
  } else if (known(v.authenticatorApp)) {
    pass = 'none';
  }
  return facts([
    ['Registration window', v.windowMinutes + ' minutes'],
    ['Who had to verify', v.verifiedParty],
    ['Last strong authentication', last],
    ['Via a one-time pass', v.viaOneTimeAccessPass ? 'yes' : null],
    ['Methods to verify with', (v.usableMethods || []).map(methodName).join(', ') || 'none'],
    ['Authenticator app', known(v.authenticatorApp) ? (v.authenticatorApp ? 'set up' : 'not set up') : null],
    ['Passkeys', Array.isArray(v.passkeys) ? v.passkeys[0] + ' registered, ' + v.passkeys[1] + ' usable under today\'s policy' : null],
    ['Temporary Access Pass', pass],
  ]);
}

function capabilityList(capabilities, supported) {
  return Object.entries(capabilities || {}).filter(([, v]) => v === supported).map(([k]) => k).join(', ');
}

function attestationPhrase(format) {
  return !format || format === 'none' ? 'no attestation' : format + ' attestation';
}

function platformFacts(p) {
  const capabilities = p.clientCapabilities || {};
  const reported = Object.keys(capabilities).length > 0;
  return facts([
    ['From attempt', p.attemptId ? [h('code', { class: 'break', text: p.attemptId }), p.at ? ' at ' + formatTime(p.at) : ''] : null],
    ['Client', p.clientPlatform || (p.userAgent ? 'unknown platform' : null)],
    ['Path chosen', p.path ? PATHS[p.path] || p.path : null],
    ['Browser error', p.error ? h('code', { class: 'break', text: p.error }) : null],
    ['Platform authenticator available', known(p.platformAuthenticatorAvailable) ? yesNo(p.platformAuthenticatorAvailable) : null],
    ['Capabilities supported', reported ? capabilityList(capabilities, true) || 'none' : null],
    ['Capabilities missing', reported ? capabilityList(capabilities, false) || 'none' : null],
    ['Response', p.attestationFormat ? attestationPhrase(p.attestationFormat) : null],
    ['User verified', known(p.userVerified) ? yesNo(p.userVerified) : null],
    ['Hardware-backed key', known(p.hardwareBacked) ? yesNo(p.hardwareBacked) : null],
    ['User agent', p.userAgent ? h('span', { class: 'small break', text: p.userAgent }) : null],
    ...(p.notes || []).map((n) => ['Note', n]),
  ]);
}

function acceptanceFacts(a, context) {
  const authenticator = a.authenticator;
  const admitted = a.admittedBy
    ? ((a.verdicts || []).find((v) => v.profileId === a.admittedBy) || {}).profileName || context.names.profiles.get(a.admittedBy) || a.admittedBy
    : null;
  const verdicts = (a.verdicts || []).length
    ? h('ul', { class: 'plain' }, a.verdicts.map((v) => h('li', { data: { profile: v.profileId } },
      h('strong', { text: v.profileName + ': ' }),
      v.accepted ? 'accepts it' : ['refuses it', (v.denials || []).map((d) => [h('br'), h('code', { text: d.code }), ' ', d.detail])])))
    : 'no profile applied';
  return facts([
    ['Authenticator', authenticator ? [(authenticator.name || 'unknown model') + ' ', h('code', { class: 'small', text: authenticator.aaguid })] : null],
    ['Passkey type', authenticator ? passkeyTypeLabel(authenticator.passkeyType) : null],
    ['Attestation', authenticator ? attestationPhrase(authenticator.attestationFormat) + ', ' + (authenticator.attestationLevel === 'attested' ? 'attested' : 'not attested') : null],
    ['Transports', authenticator ? (authenticator.transports || []).join(', ') || 'none stated' : null],
    ['Profiles', verdicts],
    ['Admitted by', admitted],
    ...(a.notes || []).map((n) => ['Note', n]),
  ]);
}

/** The passkey profiles that apply and what each accepts, with the authenticators its list names. */
function profilesView(profiles, title, level, none) {
  return [
    h('h' + level, { text: title }),
    profiles.length
      ? h('ul', { class: 'profiles' }, profiles.map((p) => {
        const restrictions = p.keyRestrictions || {};
        const listed = restrictions.isEnforced ? restrictions.aaGuids || [] : [];
        return h('li', { data: { profile: p.id } },
          h('p', {}, h('strong', { text: p.name }), ' ', h('span', { class: 'muted small', text: '(' + p.id + ')' }), ' accepts:'),
          h('ul', {}, (p.accepts || []).map((sentence) => h('li', { text: sentence }))),
          listed.length
            ? [h('p', { class: 'small', text: restrictions.enforcementType === 'block' ? 'Authenticators on its block list:' : 'Authenticators on its allow list:' }),
              h('ul', { class: 'small' }, listed.map((a) => h('li', {}, (a.name || 'unnamed model') + ' ', h('code', { text: a.aaguid }))))]
            : null);
      }))
      : h('p', { class: 'muted', text: none }),
  ];
}

/** A past attempt re-read under today's policy: questions 1 and 4, and what differs from the recorded answer. */
function todayView(d, context) {
  const today = d.today;
  const steps = [today.eligible, today.accepted].filter(Boolean);
  const differs = (step) => {
    const recorded = (d.questions || []).find((q) => q.question === step.question);
    return !recorded || recorded.status !== step.status || recorded.code !== step.code;
  };
  const changed = today.changed ? steps.filter(differs) : [];
  return h('section', { class: 'today', 'aria-labelledby': 'today-title' },
    h('h4', { id: 'today-title', text: 'Under today\'s policy (version ' + today.policyVersion + ')' }),
    h('p', {}, h('span', { class: 'badge ' + (today.changed ? 'warn' : ''), text: today.changed ? 'Changed' : 'Same answer' }), ' ', today.summary),
    h('ul', { class: 'plain small' }, steps.map((step) => {
      const status = STEP_STATUS[step.status] || { label: step.status, sign: '?' };
      return h('li', {}, 'Question ' + step.question + ': ' + status.label.toLowerCase(), step.code ? [' (', h('code', { text: step.code }), ')'] : null);
    })),
    changed.length ? h('ol', { class: 'questions tree', 'aria-label': 'Today\'s answers that differ' }, changed.map((step) => stepView(step, context, 5))) : null);
}

/* The effective policy (GET effectivePolicy): targets matched, profiles that apply, what each accepts. */

async function loadEffectivePolicy(context) {
  const box = $('#effective-policy');
  const answer = await api('GET', OPTIONAL.effectivePolicy(context.target.id));
  box.classList.remove('muted');
  if (answer.ok) {
    fill(box, explanationView(answer.body));
    return;
  }
  if (absent(answer)) {
    renderRecordedPolicy(context);
    return;
  }
  fill(box, h('div', { class: 'notice bad' }, errorView(errorOf(answer))));
}

function accessPassSentence(pass) {
  if (pass.methodState === 'disabled') return 'the method is disabled';
  if (!pass.inPolicyScope) return 'the method does not cover this user';
  return 'may sign in with one: ' + (pass.oneTimeOnly ? 'one-time only' : 'one-time or multi-use') + ', ' +
    pass.minimumLifetimeInMinutes + ' to ' + pass.maximumLifetimeInMinutes + ' minutes (' + pass.defaultLifetimeInMinutes + ' by default)';
}

function explanationView(e) {
  const v = e.eligibilityEvidence || {};
  const eligible = !e.eligibility;
  return h('div', { class: 'explanation' },
    h('div', { class: 'notice ' + (eligible ? 'ok' : 'bad') },
      h('p', {},
        h('span', { class: 'badge ' + (eligible ? 'ok' : 'bad') }, h('span', { 'aria-hidden': 'true', text: (eligible ? '✓' : '✗') + ' ' }), eligible ? 'Eligible' : 'Not eligible'),
        ' ',
        eligible ? 'The user may register a passkey themselves' : ['The user may not register a passkey themselves: ', h('code', { text: e.eligibility })],
        ' (policy version ' + e.policyVersion + ').')),
    facts([
      ['Passkey method', (v.methodState === 'enabled' ? 'enabled' : 'disabled') + '; self-service set up ' + onOff(v.selfServiceRegistrationAllowed)],
      ['Account', (v.accountEnabled ? 'enabled' : 'disabled') + ', ' + v.userType],
      ['Member of', (v.memberOf || []).map((g) => g.name).join(', ') || 'no group'],
      ['Included by', targetsView(v.includedBy, 'no include target covers the user')],
      ['Excluded by', targetsView(v.excludedBy, 'nothing')],
      ['Include targets that do not cover the user', (v.otherIncludeTargets || []).length ? targetsView(v.otherIncludeTargets) : null],
      ['Registration window', e.registrationWindowMinutes + ' minutes after a strong authentication (10 after a one-time Temporary Access Pass)'],
      ['Temporary Access Pass', e.accessPass ? accessPassSentence(e.accessPass) : null],
    ]),
    profilesView(e.profiles || [], 'Profiles that apply', 3, 'None: no passkey profile applies, so no passkey is accepted.'),
    (e.statements || []).length
      ? h('details', { class: 'statements' }, h('summary', { text: 'In sentences, as keywarden policy explain prints it' }),
        h('ul', {}, e.statements.map((s) => h('li', { text: s }))))
      : null);
}

/** An older keywarden: the policy as the latest attempt that answered question 1 recorded it. */
function renderRecordedPolicy(context) {
  const box = $('#effective-policy');
  const withQ1 = context.attempts.find((a) => a.questions && a.questions.eligible);
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

/* Registration attempts, with the four questions each recorded. */

async function fetchAttempts(context) {
  const answer = await api('GET', context.base + '/registrationAttempts');
  if (!answer.ok) {
    context.attemptsError = errorOf(answer);
    return [];
  }
  return (answer.body.value || []).slice().sort((a, b) => b.startedDateTime.localeCompare(a.startedDateTime));
}

function renderAttempts(context) {
  const box = $('#attempts');
  box.classList.remove('muted');
  if (context.attemptsError) {
    showError(box, context.attemptsError);
    return;
  }
  if (!context.attempts.length) {
    fill(box, h('p', { class: 'muted', text: 'No registration attempt yet.' }));
    return;
  }
  fill(box, context.attempts.map((attempt, i) => attemptView(attempt, context, i === 0)));
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
    context.diagnosis
      ? h('div', { class: 'actions' }, h('button', {
        type: 'button',
        class: 'attempt-diagnose',
        'aria-label': 'Diagnose this attempt, begun ' + formatTime(attempt.startedDateTime),
        on: { click: () => showDiagnosis(context, attempt.id, true) },
      }, 'Diagnose this attempt'))
      : null,
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

/** A definition list of [term, value] pairs; a value is text, a node or a list of them; empty values are left out. */
function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, typeof v === 'object' ? v : String(v))]));
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
    const answer = await adminApi('DELETE', context.base + '/authentication/fido2Methods/' + encodeURIComponent(passkey.id));
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
  const answer = await adminApi('DELETE', context.base + '/authentication/temporaryAccessPassMethods/' + encodeURIComponent(pass.id));
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
    const answer = await adminApi('POST', context.base + '/authentication/temporaryAccessPassMethods', request);
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
    const format = event.target.dataset.format;
    if (format === 'csv') download('keywarden-' + report + '.csv', 'text/csv', toCsv(items, columns));
    if (format === 'json') download('keywarden-' + report + '.json', 'application/json', JSON.stringify(items, null, 2));
  });
}

/** A report's cell. Only long unbroken text (ids, AAGUIDs, user names) may break anywhere: letting every cell break
 *  anywhere shrinks the columns of a wide table to a few letters each. */
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

const PAGES = { 'admin-users': usersPage, 'admin-user': userPage, 'admin-audit': auditPage, 'admin-report': reportPage };
const run = PAGES[document.body.dataset.page];
if (run) run().catch((e) => showError($('#page-error') || main, { message: e.message }));

export { OPTIONAL, absent, genericView, notAvailable };
