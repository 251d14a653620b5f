// DSA statements and complaints in the real window, against a central service
// with a seeded team's history: a rejection marked as illegal content shows its
// legal ground in the statement before it is confirmed and reaches the server
// on that ground; a reviewer's complaint against a colleague's rejection arrives
// by sync, shows the hostile text as text, is upheld offline-first, lands on the
// server (the review published) and appears in the review's history.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Key } from 'webdriverio';
import { appWithOwnCentral } from './central.mjs';
import { explained, screenshot } from './harness.mjs';

let central;
let app;
let browser;
let admin;
/** The review Mia rejects herself: a complaint against it is not hers to decide. */
let mine = null;

before(async () => {
  ({ central, app } = await appWithOwnCentral(
    'complaints',
    ['--shops', '8', '--reviews', '400', '--audits', '0', '--disputes', '0', '--seed', '7', '--history'],
    'moderator',
    'Mia Moderator',
  ));
  browser = app.browser;
  admin = execFileSync(central.bin, ['user', 'add', '--name', 'Ada Admin', '--role', 'admin', '--data-dir', central.dataDir])
    .toString()
    .trim();
});

after(async () => {
  await app?.stop();
  await central?.stop();
});

async function asAdmin(method, path, body) {
  const res = await fetch(`${central.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

async function syncNow() {
  await browser.$('[data-testid="sync-now"]').click();
  await browser.waitUntil(async () => /^Synced/.test(await browser.$('[data-testid="sync-status"]').getText()), {
    timeout: 20000,
    timeoutMsg: 'the sync did not finish',
  });
}

test('a rejection marked illegal shows its legal ground before confirming and is exported on it', () =>
  explained(browser, 'illegal-marking', async () => {
    await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, {
      timeout: 30000,
      timeoutMsg: 'no reviews arrived from the server',
    });
    // Keys go to the selected review: wait until the first sync has finished
    // and a review is selected, or the first `r` may land while the list is
    // still being redrawn and open nothing.
    await browser.waitUntil(
      async () =>
        /^Synced/.test(await browser.$('[data-testid="sync-status"]').getText()) &&
        (await browser.execute(() => !!document.querySelector('[role="option"][aria-selected="true"]'))),
      { timeout: 30000, timeoutMsg: 'the first sync did not finish with a review selected' },
    );
    // Find a review whose shop allows a reason that can be illegal (an ARM shop).
    const box = browser.$('[data-testid="mark-illegal"]');
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await browser.keys('r');
      const dialog = browser.$('[data-testid="dialog-reject"]');
      await dialog.waitForExist({ timeout: 3000 });
      const labels = await browser.execute(() =>
        [...document.querySelectorAll('[data-testid="dialog-reject"] li button')].map((b) => b.textContent ?? ''),
      );
      const insult = labels.findIndex((l) => l.includes('Insult'));
      if (insult >= 0) {
        await browser.keys(String(insult + 1));
        await box.waitForExist({ timeout: 3000 });
        found = true;
      } else {
        await browser.keys(Key.Escape);
        await dialog.waitForExist({ reverse: true, timeout: 3000 });
        await browser.keys('j');
      }
    }
    assert.ok(found, 'no pending review of an ARM shop in the first 40');
    mine = await browser.execute(() =>
      document.querySelector('[role="option"][aria-selected="true"]')?.getAttribute('data-review-id'),
    );
    assert.ok(mine);
    await box.click();
    // Marked without a provision, the statement cannot be made and confirming is off.
    const problem = browser.$('[data-testid="statement-problem"]');
    await problem.waitForExist({ timeout: 5000 });
    assert.match(await problem.getText(), /legal provision/);
    assert.equal(await browser.$('[data-testid="confirm-reject"]').isEnabled(), false);
    await browser.$('[data-testid="illegal-provision"]').setValue('§ 185 StGB');
    await browser.$('[data-testid="illegal-explanation"]').setValue('Calls a named employee a criminal.');
    const statement = browser.$('[data-testid="statement-preview"]');
    await browser.waitUntil(async () => (await statement.getText()).includes('§ 185 StGB'), {
      timeout: 5000,
      timeoutMsg: 'the legal provision does not appear in the statement',
    });
    await problem.waitForExist({ reverse: true, timeout: 3000 });
    await screenshot(browser, 'statement-illegal');
    await browser.$('[data-testid="confirm-reject"]').click();
    await browser.$('[data-testid="dialog-reject"]').waitForExist({ reverse: true, timeout: 3000 });
    await syncNow();
    const today = new Date().toISOString().slice(0, 10);
    await browser.waitUntil(
      async () => {
        const r = await asAdmin('GET', `/v1/statements/export?since=${today}&limit=1000`);
        return r.body.items?.some(
          (l) => l.decision_ground === 'DECISION_GROUND_ILLEGAL_CONTENT' && l.illegal_content_legal_ground === '§ 185 StGB',
        );
      },
      { timeout: 10000, interval: 500, timeoutMsg: 'the export has no line on the illegal-content ground' },
    );
  }));

test('a complaint arrives by sync, is upheld in the window and publishes the review', () =>
  explained(browser, 'complaint', async () => {
    // A review a seeded colleague rejected.
    let since = '0';
    let rejected = null;
    for (;;) {
      const res = await fetch(`${central.url}/v1/changes?since=${since}&limit=1000`, {
        headers: { authorization: `Bearer ${central.token}` },
      });
      const page = await res.json();
      for (const c of page.items) {
        if (c.entity?.review?.status?.state === 'rejected' && c.id !== mine) rejected = c.entity.review;
      }
      if (!page.has_more) break;
      since = page.next_cursor;
    }
    assert.ok(rejected, 'the seeded history rejected no review');
    const hostile = '<img src=x onerror="window.__pwned=1">Ich habe nur meine Erfahrung beschrieben.';
    const opened = await asAdmin('POST', '/v1/complaints', { review_id: rejected.id, text: hostile });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));

    await syncNow();
    await browser.keys([Key.Shift, 'C']);
    const row = browser.$(`[data-complaint-id="${opened.body.id}"]`);
    await row.waitForExist({ timeout: 10000, timeoutMsg: 'the complaint did not arrive' });
    assert.equal(await row.$('[data-testid="complaint-status"]').getText(), 'Open');
    await row.click();
    const text = browser.$('[data-testid="complaint-text"]');
    await text.waitForExist({ timeout: 5000 });
    assert.equal(await text.getText(), hostile, 'the complaint is shown as text');
    assert.equal(await browser.execute(() => document.querySelectorAll('[data-testid="complaint-text"] *').length), 0);
    assert.equal(await browser.execute(() => window.__pwned), null);
    assert.equal(await browser.$('[data-testid="complaint-review-text"]').getText(), rejected.text);

    // u chooses "uphold" and puts the cursor in the reasons; Ctrl+Enter confirms.
    await browser.keys('u');
    const reasons = browser.$('[data-testid="complaint-reasons"]');
    await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.getAttribute('data-testid'))) === 'complaint-reasons', {
      timeout: 3000,
      timeoutMsg: 'u did not focus the reasons',
    });
    await reasons.setValue('Critical but factual: it stays up.');
    await screenshot(browser, 'complaint');
    await browser.keys([Key.Control, Key.Enter]);
    const status = browser.$('[data-testid="complaint-case-status"]');
    await browser.waitUntil(async () => (await status.getText()).startsWith('Upheld'), {
      timeout: 5000,
      timeoutMsg: 'the decision did not show at once',
    });
    await syncNow();
    await browser.waitUntil(
      async () => (await central.entity(opened.body.id))?.complaint?.status === 'upheld',
      { timeout: 10000, interval: 500, timeoutMsg: 'the complaint decision did not reach the server' },
    );
    const review = await central.entity(rejected.id);
    assert.equal(review.review.status.state, 'published');

    // The review's history shows the complaint and its outcome.
    await browser.keys(Key.Escape);
    await browser.keys([Key.Shift, 'R']);
    await browser.$('[data-testid="tab-all"]').click();
    const words = rejected.text.split(/\s+/).filter((w) => /^[\p{L}]{4,}$/u.test(w)).slice(0, 3).join(' ');
    const search = browser.$('input[aria-label="Search review texts"]');
    await search.setValue(words);
    await browser.keys('Enter');
    const item = browser.$(`[data-review-id="${rejected.id}"]`);
    await item.waitForExist({ timeout: 10000, timeoutMsg: `the review is not found by "${words}"` });
    await item.click();
    const line = browser.$('[data-testid="review-complaint-line"]');
    await line.waitForExist({ timeout: 5000, timeoutMsg: 'the review history shows no complaint' });
    assert.match(await line.getText(), /^Complaint received .+; upheld/);
  }));

test('a complaint against her own rejection is shown to Mia but is not hers to decide', async () => {
  const opened = await asAdmin('POST', '/v1/complaints', { review_id: mine, text: 'Bitte noch einmal prüfen.' });
  assert.equal(opened.status, 201, JSON.stringify(opened.body));
  await syncNow();
  await browser.keys([Key.Shift, 'C']);
  const row = browser.$(`[data-complaint-id="${opened.body.id}"]`);
  await row.waitForExist({ timeout: 10000, timeoutMsg: 'the complaint did not arrive' });
  assert.match(await row.getText(), /your decision: a colleague decides/);
  await row.click();
  await browser.$('[data-testid="complaint-own"]').waitForExist({ timeout: 5000 });
  assert.equal(await browser.$('[data-testid="complaint-uphold"]').isExisting(), false, 'no way to decide it');
  await browser.keys('u');
  assert.equal(await browser.$('[data-testid="complaint-case-status"]').getText(), 'Open');
});
