// Contract: when the server refuses a credential (question 4), Security info names the reason and what would work; here a user whose profile allows only device-bound passkeys tries a synced one, then succeeds with a device-bound one, renames it and deletes it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { addAuthenticator, launch, newPage, screenshot, signInWithPass } from '../support/browser.mjs';
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

test('a synced passkey is refused with the reason and the accepted alternatives; a device-bound one is added, renamed and deleted', async () => {
  const pass = await keywarden.issuePass('dora@contoso.com', { once: false });
  const page = await newPage(browser, keywarden.origin);
  const synced = await addAuthenticator(page, { backupEligible: true });
  await signInWithPass(page, 'dora@contoso.com', pass);

  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByLabel('This device').check();
  await page.getByRole('button', { name: 'Create passkey' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'isn\'t accepted' });
  await refusal.waitFor();
  const text = await refusal.innerText();
  assert.match(text, /Device-bound only allows deviceBound passkeys; this one is synced/, 'the reason names the profile and the type');
  assert.match(text, /What would work:/, 'the alternatives are offered');
  assert.match(text, /Device-bound only: device-bound passkeys only/, 'the accepted type is named');
  assert.match(text, /Synced passkeys .* are not accepted/, 'the next step says synced passkeys will not do');
  assert.match(text, /passkey_type_not_allowed \(question 4\)/, 'the help desk reference carries the code and question');
  assert.doesNotMatch(text, /weren't able to add this method/);
  await screenshot(page, 'refusal-synced-passkey');

  // A device-bound authenticator is accepted.
  await synced.remove();
  await addAuthenticator(page, { backupEligible: false });
  await page.getByRole('button', { name: 'Try another authenticator' }).click();
  await page.getByLabel('This device').check();
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByRole('heading', { name: 'Passkey added' }).waitFor();
  assert.match(await page.locator('#panel').innerText(), /Device-bound/);
  await page.getByRole('button', { name: 'Done' }).click();

  // Rename it, then delete it (the session verified moments ago, so no new verification is asked).
  await page.locator('#methods').getByRole('button', { name: /^Rename / }).click();
  await page.getByLabel('New name').fill('Dora desk key');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#methods li', { hasText: 'Dora desk key' }).waitFor();
  await page.getByRole('button', { name: 'Delete Dora desk key' }).click();
  await page.getByRole('button', { name: 'Delete passkey' }).click();
  await page.locator('#methods-notice', { hasText: 'deleted' }).waitFor();
  await page.getByText('No passkey yet').waitFor();
  assert.deepEqual(page.problems, []);
});
