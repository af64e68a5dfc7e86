// Contract: a ceremony the browser ends (the user declines verification: NotAllowedError) is reported to the attempt as question-3 evidence, the user gets a specific message and next step, and the help desk sees on the user's admin page the diagnosis as the four-question tree (question 3 failed with the DOMException, path, code and fix; now, for the latest attempt and for one attempt, with today's re-reading) and the effective policy; an older keywarden without the diagnosis endpoints gets the plain fallback.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  addAuthenticator, launch, newPage, phoneScreenshot, screenshot, signInAsAdmin, signInWithPass, signInWithPassword,
} from '../support/browser.mjs';
import { startKeywarden } from '../support/server.mjs';

let keywarden;
let browser;

before(async () => {
  keywarden = await startKeywarden();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await keywarden?.stop();
});

test('a cancelled ceremony is recorded as question 3 and shown in the admin console', async () => {
  const pass = await keywarden.issuePass('cody@contoso.com', { once: false });
  const page = await newPage(browser, keywarden.origin);
  const authenticator = await addAuthenticator(page);
  await signInWithPass(page, 'cody@contoso.com', pass);

  // The user dismisses the verification prompt.
  await authenticator.setUserVerified(false);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByLabel('This device').check();
  await page.getByRole('button', { name: 'Create passkey' }).click();
  const failure = page.getByRole('alert').filter({ hasText: 'cancelled or timed out' });
  await failure.waitFor();
  const text = await failure.innerText();
  assert.match(text, /The passkey prompt was cancelled or timed out/, 'a specific message');
  assert.match(text, /Next step: Try again and complete the prompt/, 'a next step');
  assert.match(text, /ceremony_not_allowed \(question 3\)/, 'the reference for the help desk');
  assert.match(text, /NotAllowedError/);
  assert.doesNotMatch(text, /weren't able to add this method/);
  await screenshot(page, 'ceremony-cancelled');

  // The help desk finds Cody and reads the attempt's question-3 evidence.
  const helpdesk = await newPage(browser, keywarden.origin);
  await signInAsAdmin(helpdesk, keywarden, 'helpdesk@contoso.com', 'helpdesk-password');
  await helpdesk.goto('/admin/users');
  await helpdesk.getByLabel('User principal name or display name').fill('cody');
  await helpdesk.getByRole('button', { name: 'Search' }).click();
  await helpdesk.getByRole('link', { name: 'Cody Cancel' }).click();
  await helpdesk.waitForURL('**/admin/users/*');

  // The diagnosis now: the four questions as a tree, question 3 failed with the browser's evidence and the fixes.
  const diagnosis = helpdesk.locator('#diagnosis');
  const q3 = diagnosis.locator('li[data-question="3"]');
  await q3.waitFor();
  assert.match(await diagnosis.getByRole('heading', { level: 3 }).innerText(), /Can Cody Cancel register a passkey now\?/);
  assert.match(await diagnosis.innerText(), /cody@contoso\.com cannot register a passkey now: question 3 fails \(ceremony_not_allowed\)/, 'the summary');
  await assertTree(diagnosis, { 1: 'passed', 2: 'passed', 3: 'failed', 4: 'notReached' });
  assert.match(await q3.getByRole('heading', { level: 4 }).innerText(), /^3\. Can the local platform host .*\?\s+✗ Failed$/, 'the status in words, not only colour');
  const step3 = await q3.innerText();
  assert.match(step3, /ceremony_not_allowed From the last ceremony \(attempt [0-9a-f-]{36} at .*\): The browser ended the ceremony with NotAllowedError/, 'the code and the finding');
  assert.match(step3, /Browser error\s+NotAllowedError: The operation either timed out or was not allowed/, 'the DOMException');
  assert.match(step3, /Path chosen\s+this device/, 'the chosen path');
  assert.match(step3, /Platform authenticator available\s+yes/);
  assert.match(step3, /Capabilities supported\s+.*userVerifyingPlatformAuthenticator/);
  assert.match(step3, /Fixes\s+Retry: Retry and complete the prompt/, 'the fix in the playbook\'s terms');
  assert.match(step3, /Switch platform path: If no prompt appears, switch platform path/);
  const step1 = await diagnosis.locator('li[data-question="1"]').innerText();
  assert.match(step1, /Member of\s+Pilot/, 'question 1 names the groups');
  assert.match(step1, /Included by\s+Pilot \(group\), allows Any passkey/);
  assert.match(await diagnosis.locator('li[data-question="2"]').innerText(), /Methods to verify with\s+Temporary Access Pass/);
  assert.match(await diagnosis.locator('li[data-question="4"]').innerText(), /Not reached/);
  assert.match(await diagnosis.innerText(), /Profiles that apply\s+Any passkey \(any\) accepts:\s+device-bound and synced passkeys/);
  assert.doesNotMatch(await diagnosis.innerText(), /firstFailure|not available/, 'no raw keys, no fallback');

  // The effective policy, from effectivePolicy: targets through which groups, the profile and what it accepts.
  const policy = helpdesk.locator('#effective-policy');
  await policy.locator('.explanation').waitFor();
  const explained = await policy.innerText();
  assert.match(explained, /Eligible The user may register a passkey themselves \(policy version \d+\)/);
  assert.match(explained, /Member of\s+Pilot/);
  assert.match(explained, /Included by\s+Pilot \(group\), allows Any passkey/);
  assert.match(explained, /Include targets that do not cover the user\s+Device-bound \(group\), allows Device-bound only/);
  assert.match(explained, /Profiles that apply\s+Any passkey \(any\) accepts:\s+device-bound and synced passkeys/);
  assert.doesNotMatch(explained, /not available/);

  // The attempt as recorded, in the attempts list.
  const attempt = helpdesk.locator('details.attempt').first();
  const q3recorded = attempt.locator('li[data-question="3"]');
  await q3recorded.waitFor();
  const evidence = await q3recorded.innerText();
  assert.match(evidence, /failed: ceremony_not_allowed/);
  assert.match(evidence, /Browser said\s+NotAllowedError/);
  assert.match(evidence, /Path chosen\s+this device/);
  assert.match(await attempt.innerText(), /Fix: Retry and complete the prompt/);
  await screenshot(helpdesk, 'admin-user-diagnosis');
  await phoneScreenshot(helpdesk, 'admin-user-phone');

  // The latest attempt diagnosed, with the keyboard: the focus moves to it, and today's policy re-reads it.
  await helpdesk.getByRole('button', { name: 'Diagnose the latest attempt' }).focus();
  await helpdesk.keyboard.press('Enter');
  const attemptHeading = diagnosis.getByRole('heading', { name: /^Why did the attempt of .* end as it did\?$/ });
  await attemptHeading.waitFor();
  assert.equal(await helpdesk.evaluate(() => document.activeElement.id), 'diagnosis-heading', 'the focus follows');
  assert.equal(await helpdesk.getByRole('button', { name: 'Diagnose the latest attempt' }).getAttribute('aria-pressed'), 'true');
  assert.match(helpdesk.url(), /\?attempt=last$/);
  await assertAttemptDiagnosis(diagnosis);

  // One attempt diagnosed from the attempts list, by its id.
  await attempt.getByRole('button', { name: /^Diagnose this attempt/ }).click();
  await helpdesk.waitForURL(/\?attempt=[0-9a-f-]{36}$/);
  await attemptHeading.waitFor();
  const id = new URL(helpdesk.url()).searchParams.get('attempt');
  assert.match(await diagnosis.innerText(), new RegExp('Attempt\\s+' + id), 'the attempt shown is the one chosen');
  await assertAttemptDiagnosis(diagnosis);
  await screenshot(helpdesk, 'admin-user-attempt-diagnosis');

  // A reload keeps the attempt; "Diagnose now" goes back.
  await helpdesk.reload();
  await attemptHeading.waitFor();
  await helpdesk.getByRole('button', { name: 'Diagnose now' }).click();
  await diagnosis.getByRole('heading', { name: 'Can Cody Cancel register a passkey now?' }).waitFor();
  assert.doesNotMatch(helpdesk.url(), /attempt=/);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(helpdesk.problems, []);
});

/** The status of each question of the tree, as the page marks it. */
async function assertTree(diagnosis, expected) {
  for (const [question, status] of Object.entries(expected)) {
    assert.equal(await diagnosis.locator(`li[data-question="${question}"]`).first().getAttribute('data-status'), status, 'question ' + question);
  }
}

async function assertAttemptDiagnosis(diagnosis) {
  await assertTree(diagnosis, { 1: 'passed', 2: 'passed', 3: 'failed', 4: 'notReached' });
  const text = await diagnosis.innerText();
  assert.match(text, /failed at question 3 \(ceremony_not_allowed\)/, 'the summary');
  assert.match(text, /Begun\s+.*, by the user/);
  assert.match(text, /Outcome\s+failed ceremony_not_allowed/);
  assert.match(text, /Who had to verify\s+cody@contoso\.com/);
  assert.match(text, /Browser error\s+NotAllowedError/);
  assert.match(text, /Retry: Retry and complete the prompt/);
  assert.match(text, /Profiles that applied at the time\s+Any passkey/);
  assert.match(text, /Under today's policy \(version \d+\)\s+Same answer Under today's policy \(version \d+\) question 1 gives the same answer\./, 'today\'s re-reading');
  assert.match(text, /Question 1: passed/);
}

test('an older keywarden without the diagnosis endpoints gets the plain fallback; a missing attempt is an error, not a fallback', async () => {
  const helpdesk = await newPage(browser, keywarden.origin);
  await signInAsAdmin(helpdesk, keywarden, 'helpdesk@contoso.com', 'helpdesk-password');

  // A missing attempt: the endpoint answers 404 not_found, which the page shows as it is.
  await helpdesk.goto('/admin/users/nora@contoso.com?attempt=00000000-0000-4000-8000-000000000000');
  const diagnosis = helpdesk.locator('#diagnosis');
  await diagnosis.locator('.notice.bad').waitFor();
  assert.match(await diagnosis.innerText(), /does not exist/);
  assert.match(await diagnosis.innerText(), /code not_found/);
  assert.doesNotMatch(await diagnosis.innerText(), /not available/);
  await helpdesk.getByRole('button', { name: 'Diagnose now' }).click();
  await diagnosis.getByRole('heading', { name: 'Can Nora Newbie register a passkey now?' }).waitFor();
  await assertTree(diagnosis, { 1: 'passed', 2: 'failed', 3: 'notReached', 4: 'notReached' });
  assert.match(await diagnosis.locator('li[data-question="2"]').innerText(), /no_usable_mfa_method/);
  assert.match(await diagnosis.locator('li[data-question="2"]').innerText(), /Issue a Temporary Access Pass: Issue a Temporary Access Pass/);
  assert.equal(await helpdesk.getByRole('button', { name: 'Diagnose the latest attempt' }).isVisible(), false, 'no attempt to diagnose');

  // An older keywarden: the routes do not exist (as its fallback answers them).
  const missing = { status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'route_not_found', message: 'no route' } }) };
  await helpdesk.route(/\/v1\/users\/[^/]+\/(passkeyDiagnosis|effectivePolicy)/, (route) => route.fulfill(missing));
  await helpdesk.goto('/admin/users/nora@contoso.com');
  await diagnosis.getByText('is not available in this version').waitFor();
  assert.match(await diagnosis.innerText(), /no registration attempt yet/);
  assert.equal(await helpdesk.locator('#diagnosis-actions').isVisible(), false, 'nothing to diagnose with');
  await helpdesk.locator('#effective-policy').getByText('is not available in this version').waitFor();
  assert.deepEqual(helpdesk.problems, []);
});
