// Accessibility of the main screens, checked with axe-core inside the real
// window: the queue with a review selected, its dialogs, the shortcut sheet,
// and every workspace. Any violation fails the test with what and where.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Key } from 'webdriverio';
import { axeViolations, startApp } from './harness.mjs';

let app;
let browser;

before(async () => {
  app = await startApp();
  browser = app.browser;
  await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, {
    timeout: 20000,
    timeoutMsg: 'the queue did not load',
  });
});

after(async () => {
  await app?.stop();
});

/** Closes whatever dialog a failed step left open, so the next screen is its own. */
async function closeDialogs() {
  for (let i = 0; i < 3 && (await browser.$('[role="dialog"]').isExisting()); i++) {
    await browser.keys(Key.Escape);
    await browser.pause(100);
  }
}

async function clean(screen) {
  const v = await axeViolations(browser);
  assert.deepEqual(v, [], `${screen} has accessibility violations:\n${v.join('\n')}`);
}

test('the queue with a review selected is axe-clean', async () => {
  await browser.$('[data-testid="review-detail"]').waitForExist({ timeout: 5000 });
  await clean('the queue');
});

test('the reject dialog and its statement are axe-clean', async () => {
  await closeDialogs();
  await browser.keys('r');
  await browser.$('[data-testid="dialog-reject"]').waitForExist({ timeout: 3000 });
  await clean('the reason list');
  await browser.keys('1');
  await browser.$('[data-testid="statement-preview"]').waitForExist({ timeout: 3000 });
  await clean('the statement preview');
  await browser.keys(Key.Escape);
  await browser.$('[data-testid="dialog-reject"]').waitForExist({ reverse: true, timeout: 3000 });
});

test('the evidence request and the shortcut sheet are axe-clean', async () => {
  await closeDialogs();
  await browser.keys('e');
  await browser.$('[data-testid="dialog-evidence"]').waitForExist({ timeout: 3000 });
  await clean('the evidence request');
  await browser.keys(Key.Escape);
  await browser.$('[data-testid="dialog-evidence"]').waitForExist({ reverse: true, timeout: 3000 });
  await browser.keys('?');
  await browser.$('[data-testid="dialog-help"]').waitForExist({ timeout: 3000 });
  await clean('the shortcut sheet');
  await browser.keys(Key.Escape);
});

for (const [key, testid, name] of [
  ['A', 'audit-workspace', 'the audits workspace'],
  ['D', 'dispute-workspace', 'the disputes workspace'],
  ['C', 'complaint-workspace', 'the complaints workspace'],
  ['O', 'dashboard', 'the dashboard'],
  ['L', 'activity', 'the activity view'],
]) {
  test(`${name} is axe-clean`, async () => {
    await closeDialogs();
    await browser.keys([Key.Shift, key]);
    await browser.$(`[data-testid="${testid}"]`).waitForExist({ timeout: 10000 });
    if (testid === 'dashboard') {
      await browser.waitUntil(async () => browser.execute(() => performance.getEntriesByName('dashboard').length > 0), {
        timeout: 15000,
      });
    }
    await clean(name);
  });
}
