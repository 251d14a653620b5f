// A moderator's day by keyboard only, against a real central service: twenty
// reviews cleared with every kind of action (publish, reject for a reason,
// request evidence, accept and refuse received evidence), half of them with the
// server down, the app closed and opened again in between; one sync later the
// server holds exactly those decisions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Key } from 'webdriverio';
import { appWithOwnCentral } from './central.mjs';
import { explained, startApp } from './harness.mjs';

let central;
let app;
let browser;
/** review id -> the state the server must end up with */
const expected = new Map();

before(async () => {
  ({ central, app } = await appWithOwnCentral(
    'workday',
    ['--shops', '6', '--reviews', '240', '--audits', '0', '--disputes', '0', '--seed', '21'],
    'moderator',
    'Wanda Workday',
  ));
  browser = app.browser;
});

after(async () => {
  await app?.stop();
  await central?.stop();
});

const selectedId = () =>
  browser.execute(() => document.querySelector('[role="option"][aria-selected="true"]')?.getAttribute('data-review-id'));
const statusOf = (id) => browser.$(`[data-review-id="${id}"] [data-testid="review-status"]`).getText();
/** The row's status, or null once a background sync's refresh took the decided row out of the tab. */
const statusOrGone = async (id) => {
  const el = browser.$(`[data-review-id="${id}"] [data-testid="review-status"]`);
  return (await el.isExisting()) ? el.getText() : null;
};
const syncStatus = () => browser.$('[data-testid="sync-status"]').getText();

/** One decision on the selected review, by keyboard; returns its id. */
async function decide(kind) {
  // a background sync redraws the list; the selection is back a moment later
  await browser.waitUntil(async () => Boolean(await selectedId()), {
    timeout: 5000,
    timeoutMsg: 'no review is selected',
  });
  const id = await selectedId();
  const before = await statusOf(id);
  if (kind === 'publish') {
    await browser.keys('p');
    expected.set(id, 'published');
  } else if (kind === 'reject') {
    await browser.keys('r');
    await browser.$('[data-testid="dialog-reject"]').waitForExist({ timeout: 3000 });
    await browser.keys('1');
    await browser.$('[data-testid="statement-preview"]').waitForExist({ timeout: 3000 });
    await browser.keys(Key.Enter);
    await browser.$('[data-testid="dialog-reject"]').waitForExist({ reverse: true, timeout: 5000 });
    expected.set(id, 'rejected');
  } else if (kind === 'evidence') {
    await browser.keys('e');
    const box = browser.$('[data-testid="evidence-message"]');
    await box.waitForExist({ timeout: 3000 });
    await browser.waitUntil(async () => (await box.getValue()).length > 20, { timeout: 3000 });
    await browser.keys([Key.Ctrl, Key.Enter]);
    await box.waitForExist({ reverse: true, timeout: 3000 });
    expected.set(id, 'evidence_requested');
  } else if (kind === 'accept') {
    await browser.keys('a');
    expected.set(id, 'published');
  } else if (kind === 'refuse') {
    await browser.keys('x');
    await browser.$('[data-testid="dialog-refuse"]').waitForExist({ timeout: 3000 });
    // The dialog puts the cursor in the facts; this is what the moderator types.
    await browser.$('[data-testid="dialog-refuse"] textarea').setValue('The order confirmation names another customer.');
    await browser.keys([Key.Ctrl, Key.Enter]);
    await browser.$('[data-testid="dialog-refuse"]').waitForExist({ reverse: true, timeout: 3000 });
    expected.set(id, 'deleted');
  }
  // the server's copy is checked at the end; here the row changed or left the tab
  await browser.waitUntil(async () => (await statusOrGone(id)) !== before, {
    timeout: 5000,
    timeoutMsg: `${kind} did not show on ${id}`,
  });
  return id;
}

async function tab(state) {
  await browser.$(`[data-testid="tab-${state}"]`).click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, { timeout: 5000 });
  await browser.$('[data-testid="review-list"]').click();
}

test('ten reviews cleared online with every kind of action', () =>
  explained(browser, 'workday-online', async () => {
    await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, {
      timeout: 30000,
      timeoutMsg: 'the queue did not arrive from the server',
    });
    // the first sync is finished before the first key (it redraws the queue)
    await browser.waitUntil(async () => /^Synced/.test(await syncStatus()), {
      timeout: 30000,
      timeoutMsg: 'the first sync did not finish',
    });
    await tab('pending');
    for (const kind of ['publish', 'reject', 'evidence', 'publish', 'reject', 'publish', 'evidence', 'publish']) {
      await decide(kind);
    }
    await tab('evidence_received');
    await decide('accept');
    await decide('refuse');
    assert.equal(expected.size, 10);
  }));

test('ten more offline, kept across closing the app', () =>
  explained(browser, 'workday-offline', async () => {
    await central.stop();
    await tab('pending');
    for (const kind of ['publish', 'reject', 'evidence', 'publish', 'reject', 'publish', 'publish', 'evidence', 'reject', 'publish']) {
      await decide(kind);
    }
    assert.equal(expected.size, 20, 'twenty different reviews');
    await browser.waitUntil(async () => /Offline/.test(await syncStatus()), {
      timeout: 20000,
      timeoutMsg: 'the app did not notice the server is gone',
    });

    await app.stop();
    app = await startApp();
    browser = app.browser;
    await browser.waitUntil(async () => /waiting to sync/.test(await syncStatus()), {
      timeout: 30000,
      timeoutMsg: 'the offline decisions are not waiting after the restart',
    });
  }));

test('back online, one sync and the server holds exactly the twenty decisions', async () => {
  await central.start();
  await browser.$('[data-testid="sync-now"]').click();
  await browser.waitUntil(async () => /^Synced/.test(await syncStatus()), {
    timeout: 30000,
    timeoutMsg: 'the queued decisions did not go out',
  });
  const wrong = [];
  for (const [id, state] of expected) {
    const got = (await central.entity(id))?.review?.status?.state ?? 'missing';
    if (got !== state) wrong.push(`${id}: ${got}, expected ${state}`);
  }
  assert.deepEqual(wrong, []);
});
