import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { expected, screenshot, startApp } from './harness.mjs';

let app;
let browser;
const want = expected();

before(async () => {
  app = await startApp();
  browser = app.browser;
  await browser.$('[data-testid="review-list"]').waitForExist({ timeout: 20000 });
});

after(async () => {
  await app?.stop();
});

test('the window shows the reviews of the local store', async () => {
  const count = await browser.$('[data-testid="store-count"]').getText();
  assert.equal(count, `${want.total} reviews in the local store`);
  const range = await browser.$('[data-testid="range"]').getText();
  assert.equal(range, `1–${Math.min(100, want.pending)} of ${want.pending}`);
  const rows = await browser.$$('[data-testid="review-row"]');
  assert.equal(rows.length, Math.min(100, want.pending));
  const firstText = await rows[0].$('[data-testid="review-text"]').getText();
  assert.equal(firstText, want.first_pending_text);
  await screenshot(browser, 'review-list');
});

test('hostile review text is shown as text, never as markup', async () => {
  const texts = await browser.$$('[data-testid="review-text"]');
  const hostile = [];
  for (const t of texts) {
    const s = await t.getText();
    if (s.includes('<img')) hostile.push(t);
  }
  assert.equal(hostile.length, 1, 'the seeded hostile review is listed');
  assert.equal(await hostile[0].$$('img').length, 0);
  assert.equal(await hostile[0].$$('b').length, 0);
  assert.notEqual(await browser.getTitle(), 'pwned');
});

test('j and k move the selection, and the filter switches lists', async () => {
  const current = async () =>
    browser.execute(() => document.querySelector('[aria-current="true"]')?.getAttribute('data-review-id'));
  const rows = await browser.$$('[data-testid="review-row"]');
  const ids = [];
  for (const r of rows.slice(0, 2)) ids.push(await r.getAttribute('data-review-id'));
  assert.equal(await current(), ids[0]);
  await browser.keys('j');
  await browser.waitUntil(async () => (await current()) === ids[1], { timeout: 3000 });
  await browser.keys('k');
  await browser.waitUntil(async () => (await current()) === ids[0], { timeout: 3000 });

  await browser.$('button=All').click();
  await browser.waitUntil(
    async () => (await browser.$('[data-testid="range"]').getText()) === `1–100 of ${want.total}`,
    { timeout: 5000, timeoutMsg: 'the All filter did not show every review' },
  );
});
