// The app against a real central service on loopback: it syncs on start into an
// empty local store, and a decision made in the window reaches the server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { screenshot, startApp } from './harness.mjs';

let app;
let browser;
const server = process.env.TRUSTDESK_E2E_SERVER;
const token = process.env.TRUSTDESK_E2E_TOKEN;

async function serverReview(id) {
  // Walk the feed to the review's current server state.
  let since = '0';
  let found = null;
  for (;;) {
    const res = await fetch(`${server}/v1/changes?since=${since}&limit=1000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const page = await res.json();
    for (const c of page.items) if (c.id === id) found = c.entity.review;
    if (!page.has_more) return found;
    since = page.next_cursor;
  }
}

before(async () => {
  assert.ok(server && token, 'run through `cargo xtask test`, which starts the central service');
  // This file's app gets its own empty store and the server to sync with.
  process.env.TRUSTDESK_DATA_DIR = process.env.TRUSTDESK_E2E_SYNC_DATA_DIR;
  process.env.TRUSTDESK_SERVER = server;
  process.env.TRUSTDESK_TOKEN = token;
  app = await startApp();
  browser = app.browser;
});

after(async () => {
  await app?.stop();
});

test('an empty workstation fills its queue from the server on start', async () => {
  await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, {
    timeout: 20000,
    timeoutMsg: 'nothing arrived from the server',
  });
  await browser.waitUntil(async () => /Synced \d\d:\d\d UTC/.test(await browser.$('[data-testid="sync-status"]').getText()), {
    timeout: 10000,
  });
  const count = await browser.$('[data-testid="store-count"]').getText();
  assert.match(count, /^150 reviews in the local store$/);
});

test('a decision made in the window reaches the server with Sync now', async () => {
  const id = await browser.execute(() =>
    document.querySelector('[role="option"][aria-selected="true"]')?.getAttribute('data-review-id'),
  );
  assert.ok(id);
  await browser.keys('p');
  const status = browser.$('[data-testid="sync-status"]');
  await browser.$('[data-testid="sync-now"]').click();
  await browser.waitUntil(async () => !(await status.getText()).includes('waiting'), { timeout: 10000 });
  const review = await serverReview(id);
  assert.equal(review?.status?.state, 'published', JSON.stringify(review?.status));
  await screenshot(browser, 'synced');
});
