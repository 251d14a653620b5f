import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Key } from 'webdriverio';
import { expected, screenshot, startApp } from './harness.mjs';

let app;
let browser;
const want = expected();

const selectedId = () =>
  browser.execute(() => document.querySelector('[role="option"][aria-selected="true"]')?.getAttribute('data-review-id'));
const text = (testid) => browser.$(`[data-testid="${testid}"]`).getText();
const count = async (state) => Number((await text(`tab-${state}`)).match(/(\d+)\s*$/)?.[1]);

before(async () => {
  app = await startApp();
  browser = app.browser;
  await browser.$('[data-testid="review-row"]').waitForExist({ timeout: 20000 });
});

after(async () => {
  await app?.stop();
});

test('the window shows the reviews of the local store', async () => {
  assert.equal(await text('store-count'), `${want.total} reviews in the local store`);
  await browser.waitUntil(async () => (await text('range')) === `1 of ${want.pending}`, {
    timeout: 5000,
    timeoutMsg: `range shows ${await text('range')}`,
  });
  assert.equal(await count('pending'), want.pending);
  // The list is virtualised: only the visible rows exist in the DOM.
  const rows = await browser.$$('[data-testid="review-row"]');
  assert.ok(rows.length > 3 && rows.length < 60, `rendered ${rows.length} rows`);
  const first = await browser.$(`[data-review-id="${await selectedId()}"] [data-testid="review-text"]`);
  assert.equal(await first.getProperty('textContent'), want.first_pending_text);
  assert.equal(await text('detail-text'), want.first_pending_text);
  await screenshot(browser, 'review-list');
});

test('hostile review text is shown as text, never as markup', async () => {
  const detail = await browser.$('[data-testid="detail-text"]');
  assert.ok((await detail.getText()).includes('<img src=x'));
  assert.equal(await detail.$$('img').length, 0);
  assert.equal(await detail.$$('b').length, 0);
  assert.notEqual(await browser.getTitle(), 'pwned');
});

test('filter hits are highlighted in the text and explained', async () => {
  const marks = await browser.$$('[data-testid="detail-text"] [data-testid="hit"]');
  assert.ok(marks.length >= 1, 'the planted insult is highlighted');
  const texts = [];
  for (const m of marks) texts.push(await m.getText());
  assert.ok(texts.includes('Idiot'), `highlighted: ${texts.join(', ')}`);
  const list = await text('hit-list');
  assert.match(list, /Insult or racist statement/);
  // The reject dialog preselects the reason the hits suggest.
  await browser.keys('r');
  const dialog = await browser.$('[data-testid="dialog-reject"]');
  await dialog.waitForExist({ timeout: 3000 });
  assert.match(await dialog.$('.suggested').getText(), /Insult/);
  await screenshot(browser, 'hits-and-suggestion');
  await browser.keys('Escape');
  await dialog.waitForExist({ reverse: true, timeout: 3000 });
});

test('j and k move the selection through the list', async () => {
  const first = await selectedId();
  await browser.keys('j');
  await browser.waitUntil(async () => (await selectedId()) !== first, { timeout: 3000 });
  assert.equal(await text('range'), `2 of ${want.pending}`);
  await browser.keys('k');
  await browser.waitUntil(async () => (await selectedId()) === first, { timeout: 3000 });
});

test('publish with p shows at once, counts follow, and u undoes it', async () => {
  const id = await selectedId();
  const pendingBefore = await count('pending');
  await browser.keys('p');
  const row = await browser.$(`[data-review-id="${id}"] [data-testid="review-status"]`);
  await browser.waitUntil(async () => (await row.getText()).includes('Published'), {
    timeout: 3000,
    timeoutMsg: 'the decision did not show in the list',
  });
  await browser.waitUntil(async () => (await count('pending')) === pendingBefore - 1, { timeout: 3000 });
  // The selection advanced; go back and undo.
  await browser.keys('k');
  await browser.waitUntil(async () => (await selectedId()) === id, { timeout: 3000 });
  await browser.keys('u');
  await browser.waitUntil(async () => (await row.getText()).trim() === 'Pending', { timeout: 3000 });
  await browser.waitUntil(async () => (await count('pending')) === pendingBefore, { timeout: 3000 });
});

test('r then a digit shows the statement of reasons, and Enter rejects for that reason', async () => {
  const id = await selectedId();
  await browser.keys('r');
  const dialog = await browser.$('[data-testid="dialog-reject"]');
  await dialog.waitForExist({ timeout: 3000 });
  const firstReason = await dialog.$('li button').getText();
  await screenshot(browser, 'reject-dialog');
  await browser.keys('1');
  // The reviewer's statement of reasons is shown before the rejection is confirmed.
  const statement = browser.$('[data-testid="statement-preview"]');
  await browser.waitUntil(async () => (await statement.getText()).length > 200, {
    timeout: 5000,
    timeoutMsg: 'no statement of reasons before confirming',
  });
  const text = await statement.getText();
  assert.ok(!/[{}]/.test(text), `every placeholder is filled: ${text}`);
  await browser.$('[data-testid="statement-note"]').setValue('Please write about the product, not the staff.');
  await browser.waitUntil(async () => (await statement.getText()).includes('Please write about the product'), {
    timeout: 5000,
    timeoutMsg: 'the note does not appear in the statement',
  });
  await screenshot(browser, 'statement-of-reasons');
  await browser.keys(['Control', 'Enter']);
  await dialog.waitForExist({ reverse: true, timeout: 3000 });
  const status = await browser.$(`[data-review-id="${id}"] [data-testid="review-status"]`).getText();
  const reasonText = firstReason
    .replace(/^1\s*/, '')
    .replace(/\s*suggested by.*$/is, '')
    .toLowerCase();
  assert.ok(status.toLowerCase().includes(reasonText), `${status} / ${reasonText}`);
});

test('e requests evidence with a template in the reviewer\'s language', async () => {
  const id = await selectedId();
  const shop = await browser.$(`[data-review-id="${id}"] .shop`).getText();
  await browser.waitUntil(async () => (await text('shop-rating')).startsWith('Shop rating'), {
    timeout: 3000,
    timeoutMsg: 'the shop rating did not load',
  });
  assert.match(await text('shop-rating'), /Shop rating (\d\.\d\d (Excellent|Good|Fair|Poor|Very poor)|no rating yet)/);
  await browser.keys('e');
  const box = await browser.$('[data-testid="evidence-message"]');
  await box.waitForExist({ timeout: 3000 });
  await browser.waitUntil(async () => (await box.getValue()).includes(shop), {
    timeout: 3000,
    timeoutMsg: 'the template does not name the shop',
  });
  await screenshot(browser, 'evidence-dialog');
  await browser.keys([Key.Ctrl, 'Enter']);
  await box.waitForExist({ reverse: true, timeout: 3000 });
  const status = await browser.$(`[data-review-id="${id}"] [data-testid="review-status"]`).getText();
  assert.match(status, /Evidence requested \(due \d{4}-\d{2}-\d{2}\)/);
});

test('Space marks reviews and p publishes all marked at once', async () => {
  await browser.$('[data-testid="tab-pending"]').click();
  await browser.waitUntil(async () => (await text('range')).startsWith('1 of'), { timeout: 3000 });
  await browser.$('[data-testid="review-list"]').click();
  const publishedBefore = await count('published');
  const ids = [];
  for (let i = 0; i < 3; i++) {
    ids.push(await selectedId());
    await browser.keys(' ');
  }
  await browser.waitUntil(async () => (await text('marked-count')) === '3 marked', { timeout: 3000 });
  await browser.keys('p');
  await browser.waitUntil(async () => (await count('published')) === publishedBefore + 3, {
    timeout: 3000,
    timeoutMsg: 'the bulk publish did not land',
  });
  for (const id of ids) {
    const status = await browser.$(`[data-review-id="${id}"] [data-testid="review-status"]`).getText();
    assert.ok(status.includes('Published'), `${id}: ${status}`);
  }
  assert.equal(await browser.$('[data-testid="marked-count"]').isExisting(), false);
});

test('the Rejected tab lists the decision made offline', async () => {
  await browser.$('[data-testid="tab-rejected"]').click();
  await browser.waitUntil(async () => (await count('rejected')) >= 1, { timeout: 3000 });
  await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]').length) >= 1, { timeout: 3000 });
  const statuses = await browser.$$('[data-testid="review-status"]');
  assert.ok((await statuses[0].getText()).startsWith('●'), 'marked as not yet synced');
});

test('the strict CSP holds: no violations while using the app', async () => {
  const violations = await browser.execute(() => window.__cspViolations);
  assert.deepEqual(violations, []);
});
