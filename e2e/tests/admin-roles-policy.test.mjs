// Contract: the admin console offers only what a role allows (and the API refuses the rest anyway), a user without a role is kept out, an administrator who signed in with a password alone is asked to finish signing in (and can, in place), the policy editor shows the server's validation problems next to the field and previews a change's effect on existing users and passkeys (what-if) before it is saved, and the rollout page shows each ring with the server's chart.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, newPage, phoneScreenshot, screenshot, signInAsAdmin, signInWithPassword } from '../support/browser.mjs';
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

test('a user without a role is kept out of the admin console', async () => {
  const page = await newPage(browser, keywarden.origin);
  await signInWithPassword(page, 'mia@contoso.com', 'mia-password');
  await page.waitForURL('**/security-info');
  assert.equal(await page.getByRole('link', { name: 'Admin console' }).count(), 0, 'no admin link is offered');
  const response = await page.goto('/admin/users');
  assert.equal(response.status(), 403);
  await page.getByRole('heading', { name: 'The admin console is for administrators' }).waitFor();
});

test('an administrator who signed in with a password alone is asked to finish signing in, in place', async () => {
  const page = await newPage(browser, keywarden.origin);
  await signInWithPassword(page, 'reader@contoso.com', 'reader-password');
  await page.waitForURL('**/security-info');
  const response = await page.goto('/admin/users');
  assert.equal(response.status(), 403);
  await page.getByRole('heading', { name: 'Finish signing in to administer' }).waitFor();
  await page.getByRole('link', { name: 'Set one up in Security info' }).waitFor();
  await screenshot(page, 'admin-finish-sign-in');
  // The API refuses the same: a password alone never administers.
  const refused = await page.evaluate(async () => {
    const answer = await fetch('/v1/users');
    return [answer.status, (await answer.json()).error.code];
  });
  assert.deepEqual(refused, [403, 'strong_authentication_required']);
  // A pass from another administrator finishes it, in place.
  const code = await keywarden.issuePass('reader@contoso.com', { once: true });
  const panel = page.locator('.reverify');
  await panel.getByLabel('Temporary Access Pass').fill(code);
  await panel.getByRole('button', { name: 'Verify with the pass' }).click();
  await page.locator('#results a').first().waitFor();
  assert.deepEqual(page.problems, []);
});

test('a global reader sees no action and the API refuses one anyway', async () => {
  const page = await newPage(browser, keywarden.origin);
  await signInAsAdmin(page, keywarden, 'reader@contoso.com', 'reader-password');
  await page.goto('/admin/users?search=tara');
  await page.getByRole('link', { name: 'Tara Tap' }).click();
  await page.locator('#tap', { hasText: 'No Temporary Access Pass' }).waitFor();
  assert.equal(await page.locator('#tap-form').isVisible(), false, 'issuing a pass is not offered');
  assert.equal(await page.getByRole('button', { name: /Delete|Revoke/ }).count(), 0, 'no delete or revoke is offered');
  const status = await page.evaluate(async () => {
    const me = await (await fetch('/v1/me')).json();
    const answer = await fetch('/v1/users/tara@contoso.com/authentication/temporaryAccessPassMethods', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
      body: '{}',
    });
    return [answer.status, (await answer.json()).error.code];
  });
  assert.deepEqual(status, [403, 'forbidden'], 'the API refuses what the page does not offer');

  await page.goto('/admin/policy');
  await page.locator('#policy-readonly').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Review changes' }).isVisible(), false, 'no edit for a reader');
});

test('the policy editor shows problems next to the field, then saves a valid change', async () => {
  const page = await newPage(browser, keywarden.origin);
  await signInAsAdmin(page, keywarden, 'policy@contoso.com', 'policy-password');
  await page.goto('/admin/policy');
  const name = page.locator('[data-path="Fido2.passkeyProfiles[1].name"]');
  await name.waitFor();
  assert.equal(await name.inputValue(), 'Device-bound only');

  // An empty profile name: the review shows the change, then the server's problem lands next to the field.
  await name.fill('');
  await page.getByRole('button', { name: 'Review changes' }).click();
  const review = page.locator('#review');
  await review.locator('#review-diff').getByText('Fido2.passkeyProfiles').waitFor();
  // The what-if refuses the invalid document as saving it would.
  await review.locator('#review-whatif', { hasText: 'problem' }).waitFor();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.locator('#policy-problems', { hasText: 'problem' }).waitFor();
  assert.equal(await name.getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
  const message = await page.locator('#' + (await name.getAttribute('aria-describedby'))).innerText();
  assert.match(message, /must not be empty/, 'the problem is next to the field');
  await screenshot(page, 'admin-policy-problem');

  // A valid change saves and shows the new version.
  await name.fill('Device-bound keys only');
  await page.getByRole('button', { name: 'Review changes' }).click();
  // Renaming a profile changes what nobody holds: the what-if says nothing would stop working.
  await review.locator('#review-whatif', { hasText: '0 passkey(s) of 0 user(s) would stop working at sign-in' }).waitFor();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.locator('#policy-saved', { hasText: 'Policy saved as version' }).waitFor();
  assert.equal(await page.locator('[data-path="Fido2.passkeyProfiles[1].name"]').inputValue(), 'Device-bound keys only');
  await screenshot(page, 'admin-policy');
  await phoneScreenshot(page, 'admin-policy-phone');

  // The rollout: every ring and all users, with the server's chart.
  await page.goto('/admin/reports/rollout');
  await page.locator('#report-table', { hasText: 'All users' }).waitFor();
  const chart = page.locator('#report-chart img');
  await chart.waitFor();
  await page.waitForFunction(() => document.querySelector('#report-chart img')?.naturalWidth > 0);
  assert.equal(await page.getByText('is not available in this version').count(), 0);
  await screenshot(page, 'admin-rollout');
  assert.deepEqual(page.problems, []);
});
