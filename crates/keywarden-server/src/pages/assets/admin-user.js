// The admin console's page of one user: the diagnosis as the four-question decision tree (now, or for one attempt), the effective policy, the passkeys and the Temporary Access Pass (with delete, revoke and issue), and the registration attempts with the four questions each recorded.
// @ts-check

import {
  $, METHOD_NAMES, adminApi, api, byId, clear, control, errorOf, errorView, fill, formatTime, groupNames, h, mayOn, me,
  passExpiry, passkeyTypeLabel, relative, showError,
} from './kw.js';
import { OPTIONAL, absent, facts, notAvailable, runPage } from './admin-answers.js';

/** @typedef {import('./kw.js').ApiError} ApiError */
/** @typedef {import('./kw.js').Child} Child */
/** @typedef {import('./kw.js').Json} Json */

/**
 * The four questions as an attempt records them: number, key in the attempt's `questions`, title.
 * @type {[number, string, string][]}
 */
const QUESTIONS = [
  [1, 'eligible', 'Eligible?'],
  [2, 'recentlyVerified', 'Recently verified?'],
  [3, 'platform', 'Can the platform host it?'],
  [4, 'accepted', 'Is the authenticator accepted?'],
];

/**
 * The platform paths a user may choose, in words.
 * @type {Record<string, string>}
 */
const PATHS = { thisDevice: 'this device', phone: 'a phone or tablet', securityKey: 'a security key' };

/**
 * What the parts of the page share.
 * @typedef {object} Context
 * @property {string} base the user's API path
 * @property {Json} target the user, as `GET /v1/users/{user}` answers
 * @property {Json} viewer the signed-in administrator (/v1/me)
 * @property {boolean} manage whether the caller may manage the user's methods (the API says so)
 * @property {{ groups: Map<string, string>, profiles: Map<string, string> }} names group and profile names by id
 * @property {Json[]} attempts the user's registration attempts, newest first
 * @property {ApiError} [attemptsError] why the attempts could not be read
 * @property {boolean | null} diagnosis whether this keywarden answers passkeyDiagnosis (null until the first answer)
 */

async function userPage() {
  const viewer = await me();
  // The server names the user in the page (pages/mod.rs, `admin_user`).
  const key = /** @type {string} */ (byId('main').dataset.user);
  const base = '/v1/users/' + encodeURIComponent(key);
  const answer = await api('GET', base);
  if (!answer.ok) {
    showError($('#page-error'), errorOf(answer));
    for (const id of ['diagnosis', 'effective-policy', 'passkeys', 'tap', 'attempts']) fill($('#' + id));
    return;
  }
  const target = answer.body;
  const [groups, policy] = await Promise.all([groupNames(), api('GET', '/v1/policies/authenticationMethodsPolicy')]);
  /** @type {Map<string, string>} */
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
  /** @type {Context} */
  const context = { base, target, viewer, manage, names, attempts: [], diagnosis: null };
  context.attempts = await fetchAttempts(context);
  setUpDiagnosis(context);
  const subject = new URLSearchParams(location.search).get('attempt');
  await Promise.all([showDiagnosis(context, subject || null), loadEffectivePolicy(context), loadPasskeys(context), loadPass(context)]);
  renderAttempts(context);
  if (manage) setUpIssue(context);
}

/* The diagnosis: the four questions walked for the user now, or for one attempt (GET passkeyDiagnosis). */

/**
 * How each answer reads: a word and a sign besides the colour, so that the status never rests on colour alone.
 * @type {Record<string, { label: string, sign: string, css: string, badge: string }>}
 */
const STEP_STATUS = {
  passed: { label: 'Passed', sign: '✓', css: 'passed', badge: 'ok' },
  failed: { label: 'Failed', sign: '✗', css: 'failed', badge: 'bad' },
  notReached: { label: 'Not reached', sign: '–', css: 'not-reached', badge: '' },
  unknown: { label: 'Unknown', sign: '?', css: 'unknown', badge: 'warn' },
};

/**
 * A fix's action in the playbook's words: the label the API sends with it, or the action's code from a keywarden that
 * sends none.
 * @param {{ action?: string, label?: string }} fix
 */
function fixLabel(fix) {
  return fix.label || fix.action || 'fix';
}

/** @param {Context} context */
function diagnosisUrl(context, subject) {
  return OPTIONAL.diagnosis(context.target.id) + (subject ? '?attempt=' + encodeURIComponent(subject) : '');
}

/** @param {Context} context */
function setUpDiagnosis(context) {
  $('#diagnose-now').addEventListener('click', () => showDiagnosis(context, null, true));
  $('#diagnose-latest').addEventListener('click', () => showDiagnosis(context, 'last', true));
}

/**
 * Marks which diagnosis is shown, on the buttons and in the address (so that a reload or a link shows it again).
 * @param {Context} context
 */
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

/** The latest diagnosis asked for: an answer to an earlier one that arrives later is dropped. */
let diagnosisRequest = 0;

/**
 * Shows the diagnosis of `subject`: null for "now", 'last' for the latest attempt, or an attempt id. `focus` moves
 * the keyboard focus to it (after a button press). Only an older keywarden without the endpoint gets the fallback.
 * @param {Context} context
 * @param {string | null} subject
 * @param {boolean} [focus]
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

/**
 * An older keywarden: what the latest attempt recorded, and a plain "not available".
 * @param {Context} context
 */
function recordedDiagnosis(context) {
  const latest = context.attempts[0];
  const recorded = latest
    ? [h('p', { text: 'What keywarden recorded at this user\'s latest registration attempt (' + formatTime(latest.startedDateTime) + '):' }), attemptSummary(latest)]
    : [h('p', { text: 'This user has made no registration attempt yet.' })];
  return [notAvailable('A diagnosis of whether this user can register now, and with what,'), recorded];
}

/** @param {Context} context */
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

/**
 * The heading element of an outline level: the page's sections are h2, and the diagnosis nests below them.
 * @param {number} level 3 to 6
 * @returns {'h3' | 'h4' | 'h5' | 'h6'}
 */
function heading(level) {
  return /** @type {'h3' | 'h4' | 'h5' | 'h6'} */ ('h' + level);
}

/**
 * One question of the walk: its answer (in words and a sign), code, finding, evidence, failure modes and fixes.
 * @param {Context} context
 * @param {number} level the question's heading level
 */
function stepView(step, context, level) {
  const status = STEP_STATUS[step.status] || { label: String(step.status), sign: '?', css: '', badge: '' };
  const sub = heading(level + 1);
  /** @type {HTMLElement[]} */
  const parts = [
    h(heading(level), { class: 'q-title' },
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
      h('p', {}, h('strong', { text: mode.title }), ' ', h('span', { class: 'muted', text: '(' + (mode.platformLabel || mode.platform) + ')' })),
      h('p', {}, h('strong', { text: 'Why: ' }), mode.explanation),
      mode.fix ? h('p', {}, h('strong', { text: 'Fix, ' + fixLabel(mode.fix).toLowerCase() + ': ' }), mode.fix.text) : null,
      h('p', { class: 'reference', text: 'Source: ' + mode.source + ' · ' + mode.id })))));
  }
  const fixes = step.fixes || [];
  if (fixes.length) {
    parts.push(h(sub, { text: fixes.length === 1 ? 'Fix' : 'Fixes' }), h('ul', { class: 'fixes' }, fixes.map((fix) => h('li', { data: { action: fix.action } },
      h('strong', { text: fixLabel(fix) + ': ' }), fix.text))));
  }
  return h('li', { class: status.css, data: { question: String(step.question), status: step.status } }, parts);
}

/** @param {Context} context */
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

/** @param {Context} context */
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
    h(heading(level), { text: title }),
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

/**
 * A past attempt re-read under today's policy: questions 1 and 4, and what differs from the recorded answer.
 * @param {Context} context
 */
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

/** @param {Context} context */
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

/**
 * An older keywarden: the policy as the latest attempt that answered question 1 recorded it.
 * @param {Context} context
 */
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

/** @param {Context} context */
async function fetchAttempts(context) {
  const answer = await api('GET', context.base + '/registrationAttempts');
  if (!answer.ok) {
    context.attemptsError = errorOf(answer);
    return [];
  }
  return (answer.body.value || []).slice().sort((a, b) => b.startedDateTime.localeCompare(a.startedDateTime));
}

/** @param {Context} context */
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

/** @param {Context} context */
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

/** @param {Context} context */
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

/** @param {Context} context */
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
      /** @type {[string, Child][]} */
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
/** @param {Context} context */
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

/** @param {Context} context */
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

/** @param {Context} context */
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

/** @param {Context} context */
async function revokePass(context, pass) {
  const answer = await adminApi('DELETE', context.base + '/authentication/temporaryAccessPassMethods/' + encodeURIComponent(pass.id));
  if (answer.status === 204) notice('ok', 'Temporary Access Pass revoked. The change is in the audit log.');
  else notice('bad', errorView(errorOf(answer)));
  await loadPass(context);
}

/** @param {Context} context */
function setUpIssue(context) {
  const form = /** @type {HTMLFormElement} */ ($('#tap-form'));
  form.hidden = false;
  const issued = $('#tap-issued');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const el of form.querySelectorAll('.field-error')) clear(el);
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    /** @type {{ isUsableOnce: boolean, lifetimeInMinutes?: number, startDateTime?: string }} */
    const request = { isUsableOnce: control(form, 'isUsableOnce').checked };
    const lifetime = control(form, 'lifetimeInMinutes').value.trim();
    if (lifetime) request.lifetimeInMinutes = Number(lifetime);
    const start = control(form, 'startDateTime').value;
    if (start) request.startDateTime = new Date(start).toISOString();
    const answer = await adminApi('POST', context.base + '/authentication/temporaryAccessPassMethods', request);
    if (answer.status !== 201) {
      const error = errorOf(answer);
      const field = /start/i.test(error.message) ? 'startDateTime' : /lifetime/i.test(error.message) ? 'lifetimeInMinutes' : null;
      if (field) {
        control(form, field).setAttribute('aria-invalid', 'true');
        fill($('[data-field="' + field + '"]', form), error.message);
        control(form, field).focus();
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

runPage(userPage);
