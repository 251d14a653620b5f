// An auditor's day through the real window: the audit arrives from a real
// central service, is completed by keyboard while the server is down, syncs when
// it is back, and the exported report's PDF pages are rendered and checked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appWithOwnCentral } from './central.mjs';
import { explained, screenshot } from './harness.mjs';

const out = process.env.TRUSTDESK_E2E_OUT ?? '.';
let central;
let app;
let browser;
let auditId;
let shopName;

before(async () => {
  ({ central, app } = await appWithOwnCentral(
    'audit',
    ['--shops', '4', '--reviews', '20', '--audits', '8', '--disputes', '0', '--seed', '3'],
    'auditor',
    'Aud Itor',
  ));
  browser = app.browser;
});

after(async () => {
  await app?.stop();
  await central?.stop();
});

const selected = () => browser.$('[data-testid="criterion"][aria-selected="true"]');

test('an auditor starts in the audit list, filled from the server', async () => {
  await browser.$('[data-testid="audit-workspace"]').waitForExist({ timeout: 20000 });
  await browser.waitUntil(async () => (await browser.$$('[data-testid="audit-row"]')).length > 0, {
    timeout: 20000,
    timeoutMsg: 'no audits arrived',
  });
  // The auditor's open audits are claimed for this workstation at sync.
  await browser.$('[data-testid="audit-claimed"]').waitForExist({ timeout: 20000, timeoutMsg: 'no audit is claimed' });
});

test('an audit is completed by keyboard offline and its outcome confirmed', () =>
  explained(browser, 'audit-offline', async () => {
  await central.stop(); // offline from here on
  const stages = await browser.$$('[data-testid="audit-stage"]').map((e) => e.getText());
  const index = stages.findIndex((s) => s.startsWith('Not started'));
  assert.ok(index >= 0, `an untouched audit to work on: ${stages}`);
  for (let i = 0; i < index; i++) await browser.keys('j');
  const row = browser.$(`#audit-${index}`);
  auditId = await row.getAttribute('data-audit-id');
  await browser.keys('Enter');
  await browser.$('[data-testid="checklist"]').waitForExist({ timeout: 5000 });
  shopName = await browser.$('[data-testid="audit-title"]').getText();
  const n = (await browser.$$('[data-testid="criterion"]')).length;
  assert.ok(n >= 10, `a full checklist: ${n}`);
  let links = 0;
  for (let k = 0; k < n; k++) {
    const item = await selected();
    const id = await item.getAttribute('data-criterion-id');
    if ((await item.getText()).includes('evidence required')) {
      await browser.keys('l');
      await browser.$('[data-testid="audit-dialog-url"]').waitForExist({ timeout: 3000 });
      // setValue types into the field; browser.keys drops a repeated character.
      await browser.$('[data-testid="audit-dialog-url"] input').setValue(`https://shop.example/evidence/${k}`);
      const typed = await browser.$('[data-testid="audit-dialog-url"] input').getValue();
      assert.equal(typed, `https://shop.example/evidence/${k}`, 'the link field holds exactly what was typed');
      await browser.keys('Enter');
      await browser.$('[data-testid="audit-dialog-url"]').waitForExist({ reverse: true, timeout: 3000 });
      links++;
    }
    if (k === 0) {
      await browser.keys('f');
      await browser.$('[data-testid="audit-note"]').waitForExist({ timeout: 3000 });
      await browser.$('[data-testid="audit-note"]').setValue('Prices on the product pages leave out VAT.');
      await browser.keys(['Control', 'Enter']);
      await browser.$('[data-testid="audit-note"]').waitForExist({ reverse: true, timeout: 3000 });
      await browser.keys('j');
    } else {
      await browser.keys('p');
    }
    if (k < n - 1) {
      await browser.waitUntil(async () => (await (await selected()).getAttribute('data-criterion-id')) !== id, {
        timeout: 3000,
        timeoutMsg: `the selection did not move on from ${id}`,
      });
    }
  }
  await browser.waitUntil(async () => (await browser.$('[data-testid="audit-progress"]').getText()) === `${n} / ${n}`, {
    timeout: 5000,
  });
  const outcome = browser.$('[data-testid="audit-outcome"]');
  assert.match(await outcome.getText(), /Improvements required: 1 failed criterion/);
  await screenshot(browser, 'audit-checklist');
  await browser.keys('c');
  await browser.$('[data-testid="audit-dialog-confirm"]').waitForExist({ timeout: 3000 });
  await browser.keys('Enter');
  await browser.waitUntil(async () => (await outcome.getText()).includes('Confirmed by'), { timeout: 5000 });
  const status = browser.$('[data-testid="sync-status"]');
  await browser.waitUntil(async () => /Offline/.test(await status.getText()), {
    timeout: 15000,
    timeoutMsg: 'the app did not notice the server is gone',
  });
  // Every finding, the note, each link and the confirmation wait in the outbox, once each.
  const expectedPending = new RegExp(`· ${n + links + 2} waiting to sync`);
  await browser.waitUntil(async () => expectedPending.test(await status.getText()), {
    timeout: 15000,
    timeoutMsg: `not ${expectedPending} in the status bar`,
  });
  }));

test('back online, the audit reaches the server exactly as done', async () => {
  await central.start();
  await browser.$('[data-testid="sync-now"]').click();
  const status = browser.$('[data-testid="sync-status"]');
  await browser.waitUntil(async () => /^Synced/.test(await status.getText()), {
    timeout: 20000,
    timeoutMsg: 'the queued changes did not go out',
  });
  const entity = await central.entity(auditId);
  const audit = entity?.audit;
  assert.ok(audit, 'the audit is on the server');
  assert.equal(audit.confirmed?.outcome?.outcome, 'improvements_required');
  const failed = audit.items.filter((i) => i.status === 'fail');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].note, 'Prices on the product pages leave out VAT.');
  assert.ok(audit.items.every((i) => i.status !== 'open'));
});

function inkShare(pgmFile) {
  // Binary PGM (P5): header, then one byte per pixel.
  const buf = readFileSync(pgmFile);
  const header = buf.toString('latin1', 0, 64).split(/\s+/);
  const [w, h] = [Number(header[1]), Number(header[2])];
  const pixels = buf.subarray(buf.length - w * h);
  let ink = 0;
  for (const p of pixels) if (p < 200) ink++;
  return ink / (w * h);
}

test('the report is exported as PDF and HTML, and its pages render', async () => {
  await browser.keys('r');
  await browser.$('[data-testid="audit-dialog-report"]').waitForExist({ timeout: 3000 });
  await browser.$('[data-testid="report-export"]').click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="report-path"]')).length === 2, {
    timeout: 20000,
  });
  const paths = await browser.$$('[data-testid="report-path"]').map((e) => e.getText());
  const pdf = paths.find((p) => p.endsWith('.pdf'));
  const html = paths.find((p) => p.endsWith('.html'));
  assert.ok(pdf && html, JSON.stringify(paths));
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
  assert.ok(text.includes(shopName), `the report names the shop ${shopName}`);
  assert.ok(text.includes('Prices on the product pages leave out VAT.'), 'the failed item carries its note');
  const prefix = path.join(out, 'report-page');
  execFileSync('pdftoppm', ['-r', '40', '-gray', pdf, prefix]);
  const pages = readdirSync(out)
    .filter((f) => f.startsWith('report-page') && f.endsWith('.pgm'))
    .sort();
  assert.ok(pages.length >= 2, `title page and at least one improvement page: ${pages}`);
  for (const p of pages) assert.ok(inkShare(path.join(out, p)) > 0.005, `${p} is not blank`);
  // For the README: the page with the improvement point.
  execFileSync('pdftoppm', ['-png', '-r', '70', '-f', '3', '-l', '3', '-singlefile', pdf, path.join(out, 'audit-report-page')]);
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes('Prices on the product pages leave out VAT.'));
  assert.ok(!/<script/i.test(page), 'the HTML report carries no script');
  await screenshot(browser, 'audit-report-dialog');
});

/** Opens each audit of `kind` in turn until `pick` accepts it; returns its id. */
async function openFirst(kind, pick) {
  await browser.keys('Escape'); // a dialog, if open
  await browser.keys('Escape'); // back to the list
  await browser.$('[data-testid="audit-list"]').waitForExist({ timeout: 5000 });
  await browser.$('select[aria-label="Audit kind"]').selectByAttribute('value', kind);
  const ids = await browser.$$('[data-testid="audit-row"]').map((e) => e.getAttribute('data-audit-id'));
  assert.ok(ids.length > 0, `the seed has ${kind} audits`);
  for (const id of ids) {
    await browser.$(`[data-audit-id="${id}"]`).click();
    await browser.$('[data-testid="checklist"]').waitForExist({ timeout: 5000 });
    if (await pick(id)) return id;
    await browser.keys('Escape');
    await browser.$('[data-testid="audit-list"]').waitForExist({ timeout: 5000 });
  }
  return null;
}

const groupTitles = () => browser.execute(() => [...document.querySelectorAll('[data-testid="checklist"] h3')].map((h) => h.textContent.trim()));

test('a re-audit opens with the previous audit\'s failures first, each with its earlier finding', async () => {
  let previous = null;
  const id = await openFirst('re_audit', async (auditId) => {
    const audit = (await central.entity(auditId))?.audit;
    const prev = audit?.previous_audit ? (await central.entity(audit.previous_audit))?.audit : null;
    if (!prev?.items.some((i) => i.status === 'fail')) return false;
    previous = prev;
    return true;
  });
  assert.ok(id, 'a seeded re-audit whose earlier audit failed something');
  const titles = await groupTitles();
  assert.equal(titles[0], 'Failed in the previous audit', JSON.stringify(titles));
  const failedBefore = previous.items.filter((i) => i.status === 'fail').map((i) => i.criterion_id).sort();
  const firstGroup = await browser.execute(() => {
    const out = [];
    let el = document.querySelector('[data-testid="checklist"] h3')?.nextElementSibling;
    while (el && el.tagName !== 'H3') {
      if (el.getAttribute('data-testid') === 'criterion') out.push({ id: el.getAttribute('data-criterion-id'), text: el.textContent });
      el = el.nextElementSibling;
    }
    return out;
  });
  assert.deepEqual(firstGroup.map((c) => c.id).sort(), failedBefore, 'exactly the earlier failures come first');
  for (const c of firstGroup) assert.match(c.text, /last time: Fail\b/, `${c.id} shows its earlier finding`);
  // The selection starts on the first of them: they are checked first.
  assert.equal(await selected().getAttribute('data-criterion-id'), firstGroup[0].id);
  await screenshot(browser, 're-audit');
});

test('a failing spot check recommends a sanction with its reasons; passing it keeps the mark', async () => {
  const outcome = browser.$('[data-testid="audit-outcome"]');
  const failing = await openFirst('spot_check', async () => /Improvements required/.test(await outcome.getText()));
  assert.ok(failing, 'a seeded spot check with failed criteria');
  assert.match(await outcome.getText(), /(Recommend (suspending|revoking) the trustmark|Warn the shop)/);
  await browser.keys('c');
  await browser.$('[data-testid="audit-dialog-confirm"]').waitForExist({ timeout: 3000 });
  assert.match(await browser.$('[data-testid="audit-dialog-confirm"]').getText(), /(Recommend|Warn the shop)/);
  await screenshot(browser, 'spot-check');

  // An unfinished spot check: every criterion passed, the recommendation is to keep the mark.
  const open = await openFirst('spot_check', async (auditId) => auditId !== failing && /Incomplete|open/i.test(await outcome.getText()));
  assert.ok(open, 'a seeded spot check still in progress');
  const n = (await browser.$$('[data-testid="criterion"]')).length;
  for (let k = 0; k < n; k++) {
    const item = await selected();
    const id = await item.getAttribute('data-criterion-id');
    const status = await item.$('[data-testid="criterion-status"]').getText();
    await browser.keys(status === 'Fail' ? 'j' : 'p');
    if (k < n - 1) {
      await browser.waitUntil(async () => (await (await selected()).getAttribute('data-criterion-id')) !== id, {
        timeout: 3000,
        timeoutMsg: `the selection did not move on from ${id}`,
      });
    }
  }
  await browser.waitUntil(async () => /Keep the trustmark|Recommend|Warn the shop/.test(await outcome.getText()), {
    timeout: 5000,
    timeoutMsg: `no recommendation once every criterion is checked: ${await outcome.getText()}`,
  });
  const failedLeft = (await browser.$$('[data-testid="criterion-status"]').map((e) => e.getText())).filter((s) => s === 'Fail').length;
  if (failedLeft === 0) assert.match(await outcome.getText(), /Keep the trustmark/);
});

test('switching the app to German shows the checklist in German, and back', async () => {
  const title = () => selected().$('.title').getText();
  const english = await title();
  await browser.$('[data-testid="locale-switcher"]').selectByAttribute('value', 'de');
  await browser.waitUntil(async () => (await title()) !== english, {
    timeout: 5000,
    timeoutMsg: `the criterion stayed "${english}"`,
  });
  assert.equal(await browser.execute(() => document.documentElement.lang), 'de');
  assert.match(await browser.$('[data-testid="audit-outcome"]').getText(), /^(Zertifiziert|Nachbesserung erforderlich|Unvollständig)/);
  await browser.$('[data-testid="locale-switcher"]').selectByAttribute('value', 'en');
  await browser.waitUntil(async () => (await title()) === english, { timeout: 5000 });
});
