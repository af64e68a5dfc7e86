// Contract: an admin (signed in with a second factor) issues a Temporary Access Pass on the user's page, sees its code once (with lifetime and one-time flag) and never again, and a second browser context signs in with it, which uses the one-time pass up; the issue is in the audit log.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, newPage, screenshot, signInAsAdmin, signInWithPass } from '../support/browser.mjs';
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

test('an admin issues a pass on the user page and another browser signs in with it', async () => {
  const admin = await newPage(browser, keywarden.origin);
  await signInAsAdmin(admin, keywarden, 'helpdesk@contoso.com', 'helpdesk-password');
  await admin.getByRole('link', { name: 'Admin console' }).click();
  await admin.waitForURL('**/admin/users');
  await admin.locator('#results a').first().waitFor();
  await screenshot(admin, 'admin-users');
  await admin.getByLabel('User principal name or display name').fill('tara');
  await admin.getByRole('button', { name: 'Search' }).click();
  await admin.getByRole('link', { name: 'Tara Tap' }).click();
  await admin.locator('#tap', { hasText: 'No Temporary Access Pass' }).waitFor();

  await admin.getByLabel('Lifetime (minutes)').fill('90');
  await admin.getByLabel('One-time use').check();
  await admin.getByRole('button', { name: 'Issue pass' }).click();
  const issued = admin.locator('#tap-issued');
  await issued.getByRole('heading', { name: 'Temporary Access Pass issued' }).waitFor();
  const code = (await admin.locator('#tap-code').innerText()).trim();
  assert.ok(code.length >= 8, 'a code is shown');
  const facts = await issued.innerText();
  assert.match(facts, /90 minutes/, 'the lifetime is shown');
  assert.match(facts, /one-time/, 'the one-time flag is shown');
  assert.match(facts, /shown only once/);
  await admin.locator('#tap', { hasText: 'One-time pass, 90 minutes' }).waitFor();
  await screenshot(admin, 'admin-tap-issued');

  // The code is never rendered again: not after "Done", not after a reload.
  await issued.getByRole('button', { name: 'Done' }).click();
  assert.ok(!(await admin.content()).includes(code), 'the code is gone after Done');
  await admin.reload();
  await admin.locator('#tap', { hasText: 'One-time pass' }).waitFor();
  assert.ok(!(await admin.content()).includes(code), 'the code is not shown after a reload');

  // A second browser context (Tara's) signs in with it, which uses the one-time pass up.
  const tara = await newPage(browser, keywarden.origin);
  await signInWithPass(tara, 'tara@contoso.com', code);
  await tara.locator('#session-summary', { hasText: 'Tara Tap' }).waitFor();
  assert.match(await tara.locator('#session-summary').innerText(), /one-time Temporary Access Pass/);
  const listed = tara.locator('#methods li', { hasText: 'Temporary Access Pass' });
  await listed.waitFor();
  assert.match(await listed.innerText(), /used to sign in/, 'Tara sees that her one-time pass is used up');
  assert.match(await tara.locator('#session-summary').innerText(), /10 minutes to add a passkey/);

  // The issue is audited.
  await admin.goto('/admin/audit');
  await admin.getByLabel('Activity').fill('Admin registered security info');
  await admin.getByLabel('Target').fill('tara@contoso.com');
  await admin.getByRole('button', { name: 'Apply' }).click();
  const row = admin.locator('#events tbody tr', { hasText: 'Admin registered security info' }).first();
  await row.waitFor();
  assert.match(await row.innerText(), /helpdesk@contoso.com/);
  await screenshot(admin, 'admin-audit');
  const download = admin.waitForEvent('download');
  await admin.getByRole('button', { name: 'Export CSV' }).click();
  const csv = await (await download).path();
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(csv, 'utf8');
  assert.match(text.split('\r\n')[0], /^activityDateTime,activityDisplayName,result/, 'the export has a header');
  assert.match(text, /Admin registered security info/, 'the export holds the event');
  assert.deepEqual(admin.problems, []);
  assert.deepEqual(tara.problems, []);
});
