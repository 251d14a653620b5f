// A mediator's case through the real window: from direct communication to a
// written decision by keyboard, offline in the middle, synced to a real central
// service, and the decision's PDF pages rendered and checked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appWithOwnCentral } from './central.mjs';
import { explained, screenshot, startApp } from './harness.mjs';

const out = process.env.TRUSTDESK_E2E_OUT ?? '.';
let central;
let app;
let browser;
let caseId;

before(async () => {
  ({ central, app } = await appWithOwnCentral(
    'dispute',
    ['--shops', '4', '--reviews', '10', '--audits', '0', '--disputes', '12', '--seed', '5'],
    'mediator',
    'Mia Mediator',
  ));
  browser = app.browser;
});

after(async () => {
  await app?.stop();
  await central?.stop();
});

const stage = () => browser.$('[data-testid="dispute-case-stage"]').getText();

/** A small real PNG (a striped "photo of the parcel"), made here. */
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const dark = Math.floor(x / 8) % 2 === 0;
      row.set(dark ? [120, 70, 30] : [230, 200, 150], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const photo = png(160, 120);

test('a mediator starts in the case list, overdue cases first', async () => {
  await browser.$('[data-testid="dispute-workspace"]').waitForExist({ timeout: 20000 });
  await browser.waitUntil(async () => (await browser.$$('[data-testid="dispute-row"]')).length > 0, {
    timeout: 20000,
    timeoutMsg: 'no disputes arrived',
  });
});

test('a case goes from communication to a written decision by keyboard, offline in the middle', () =>
  explained(browser, 'dispute-offline', async () => {
    const stages = await browser.$$('[data-testid="dispute-stage"]').map((e) => e.getText());
    const index = stages.indexOf('Direct communication');
    assert.ok(index >= 0, `a case in direct communication: ${stages}`);
    for (let i = 0; i < index; i++) await browser.keys('j');
    caseId = await browser.$(`#dispute-${index}`).getAttribute('data-dispute-id');
    await browser.keys('Enter');
    await browser.$('[data-testid="dispute-case"]').waitForExist({ timeout: 5000 });

    // A templated message to the shop in its language, edited, sent.
    await browser.keys('m');
    await browser.$('[data-testid="dispute-dialog-message"]').waitForExist({ timeout: 3000 });
    await browser.$('[data-testid="message-to"]').selectByAttribute('value', 'shop');
    await browser.$('[data-testid="message-template"]').selectByAttribute('value', 'shop_statement_request');
    const body = browser.$('[data-testid="message-body"]');
    await browser.waitUntil(async () => (await body.getValue()).length > 40, { timeout: 5000 });
    await body.addValue(' P.S. Photos of the parcel are welcome.');
    // Closed before sending, the draft is kept and comes back with the dialog.
    await browser.keys('Escape');
    await browser.$('[data-testid="dispute-dialog-message"]').waitForExist({ reverse: true, timeout: 3000 });
    await browser.keys('m');
    await browser.$('[data-testid="draft-restored"]').waitForExist({ timeout: 3000 });
    assert.match(await browser.$('[data-testid="message-body"]').getValue(), /P\.S\. Photos of the parcel are welcome\.$/);
    assert.equal(await browser.$('[data-testid="message-to"]').getValue(), 'shop');
    await browser.$('[data-testid="message-body"]').click();
    await browser.keys(['Control', 'Enter']);
    await browser.$('[data-testid="dispute-dialog-message"]').waitForExist({ reverse: true, timeout: 3000 });
    // Sent: the draft is gone.
    const kept = await browser.execute(
      (id) => localStorage.getItem(`trustdesk.dispute-message-draft.${id}`),
      caseId,
    );
    assert.equal(kept, null);

    await central.stop(); // offline from here on
    // The consumer's photo of the parcel, attached offline: it shows at once,
    // from this workstation's own copy.
    await browser.keys('a');
    await browser.$('[data-testid="dispute-dialog-attach"]').waitForExist({ timeout: 3000 });
    await browser.$('[data-testid="attach-from"]').selectByAttribute('value', 'consumer');
    // What a file chooser would hand over (WebDriver cannot drive the native dialog).
    await browser.execute((b64) => {
      const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'parcel-photo.png', { type: 'image/png' }));
      document.querySelector('[data-testid="attach-file"]').files = dt.files;
    }, photo.toString('base64'));
    await browser.$('[data-testid="attach-confirm"]').click();
    await browser.$('[data-testid="dispute-dialog-attach"]').waitForExist({ reverse: true, timeout: 5000 });
    const image = browser.$('[data-testid="attachment-image"]');
    await image.waitForExist({ timeout: 5000, timeoutMsg: 'the attachment does not show offline' });
    await browser.waitUntil(
      async () =>
        browser.execute(() => {
          const img = document.querySelector('[data-testid="attachment-image"]');
          return !!img && img.complete && img.naturalWidth === 160;
        }),
      {
        timeout: 5000,
        timeoutMsg: 'the attached image does not decode',
      },
    );
    assert.match(await browser.$('[data-testid="attachments"]').getText(), /parcel-photo\.png/);
    assert.match(await browser.$('[data-testid="timeline"]').getText(), /File from consumer/i);
    // A copy for any viewer, from this workstation's own file (still offline).
    await browser.$('[data-testid="attachment-save"]').click();
    const notice = browser.$('[data-testid="notice"]');
    await browser.waitUntil(async () => /^Saved: /.test(await notice.getText()), { timeout: 5000 });
    const saved = (await notice.getText()).replace(/^Saved: /, '');
    assert.match(saved, /attachment-[0-9a-f]{8}-parcel-photo\.png$/);
    assert.ok(readFileSync(saved).equals(photo), 'the saved copy is the attached file');
    await browser.keys('s');
    await browser.waitUntil(async () => (await stage()) === 'Mediation', { timeout: 5000 });
    await browser.keys('t');
    await browser.$('[data-testid="dispute-dialog-deadline"]').waitForExist({ timeout: 3000 });
    await browser.$('[data-testid="deadline-reason"]').setValue('Statement of the shop');
    await browser.keys(['Control', 'Enter']);
    await browser.$('[data-testid="dispute-dialog-deadline"]').waitForExist({ reverse: true, timeout: 3000 });

    await browser.keys('w');
    await browser.$('[data-testid="dispute-dialog-decide"]').waitForExist({ timeout: 3000 });
    await browser.$('[data-testid="decision-reasoning"]').setValue(
      'The parcel never arrived and the shop offered no proof of delivery.',
    );
    const preview = await browser.$('[data-testid="decision-preview"]').getText();
    assert.match(preview, /Consumer upheld, refund/);
    await screenshot(browser, 'dispute-decision-dialog');
    await browser.keys(['Control', 'Enter']);
    await browser.$('[data-testid="dispute-decision"]').waitForExist({ timeout: 5000 });
    assert.equal(await stage(), 'Closed');
    const status = browser.$('[data-testid="sync-status"]');
    await browser.waitUntil(async () => /Offline/.test(await status.getText()), { timeout: 15000 });
    assert.match(await status.getText(), /waiting to sync/);
    await screenshot(browser, 'dispute-case');
  }));

test('back online, the case reaches the server as decided', async () => {
  await central.start();
  await browser.$('[data-testid="sync-now"]').click();
  await browser.waitUntil(async () => /^Synced/.test(await browser.$('[data-testid="sync-status"]').getText()), {
    timeout: 20000,
  });
  const d = (await central.entity(caseId))?.dispute;
  assert.ok(d, 'the case is on the server');
  assert.equal(d.stage, 'closed');
  assert.equal(d.decision?.outcome, 'consumer_prevails');
  assert.equal(d.decision?.remedy_amount?.minor_units, d.claim.minor_units);
  assert.ok(d.messages.some((m) => m.body.endsWith('P.S. Photos of the parcel are welcome.')));
  // The photo went up with its change, once, and the server serves the same bytes.
  assert.equal(d.attachments?.length, 1, JSON.stringify(d.attachments));
  assert.equal(d.attachments[0].name, 'parcel-photo.png');
  assert.equal(d.attachments[0].from, 'consumer');
  const res = await fetch(`${central.url}/v1/evidence/${d.attachments[0].sha256}`, {
    headers: { authorization: `Bearer ${central.token}` },
  });
  assert.equal(res.status, 200);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(photo), 'the server holds the photo as attached');
});

test('the decision is exported as PDF in both parties’ languages and its pages render', () =>
  explained(browser, 'dispute-export', async () => {
  await browser.keys('r');
  await browser.$('[data-testid="dispute-dialog-documents"]').waitForExist({ timeout: 3000 });
  await browser.$('[data-testid="export-decision"]').click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="dispute-doc-path"]')).length === 2, {
    timeout: 20000,
  });
  const paths = await browser.$$('[data-testid="dispute-doc-path"]').map((e) => e.getText());
  for (const pdf of paths) {
    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    assert.ok(text.includes('The parcel never arrived'), `${pdf} carries the reasoning`);
  }
  const prefix = path.join(out, 'decision-page');
  execFileSync('pdftoppm', ['-r', '40', '-gray', paths[0], prefix]);
  const pages = readdirSync(out).filter((f) => f.startsWith('decision-page') && f.endsWith('.pgm'));
  assert.ok(pages.length >= 1, 'the decision has pages');
  execFileSync('pdftoppm', ['-png', '-r', '70', '-f', '1', '-l', '1', '-singlefile', paths[0], path.join(out, 'dispute-decision-page')]);
  }));

test('the arbitration case file carries the timeline and the attached photo', async () => {
  await browser.$('[data-testid="export-case-file"]').click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="dispute-doc-path"]')).length === 1, {
    timeout: 20000,
  });
  const pdf = await browser.$('[data-testid="dispute-doc-path"]').getText();
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
  assert.ok(text.includes('parcel-photo.png'), 'the attachment is named in the case file');
  assert.ok(text.includes('P.S. Photos of the parcel are welcome.'), 'the messages are in it');
  // The photo is embedded as an image, not only named.
  const images = execFileSync('pdfimages', ['-list', pdf]).toString().trim().split('\n').slice(2);
  assert.ok(images.some((l) => /\b160\s+120\b/.test(l)), `the 160x120 photo is embedded: ${images.join(' | ')}`);
  const prefix = path.join(out, 'case-file-page');
  execFileSync('pdftoppm', ['-r', '40', '-gray', pdf, prefix]);
  const pages = readdirSync(out).filter((f) => f.startsWith('case-file-page') && f.endsWith('.pgm'));
  assert.ok(pages.length >= 2, `summary and attachment pages: ${pages}`);
});

test('a message draft survives closing the app', async () => {
  await browser.keys('Escape'); // the documents dialog
  await browser.keys('Escape'); // back to the list
  await browser.$('[data-testid="dispute-list"]').waitForExist({ timeout: 5000 });
  const open = await browser.$$('[data-testid="dispute-row"]').map(async (r) => ({
    id: await r.getAttribute('data-dispute-id'),
    stage: await r.$('[data-testid="dispute-stage"]').getText(),
  }));
  const target = open.find((r) => r.id !== caseId && r.stage !== 'Closed');
  assert.ok(target, 'another open case');
  await browser.$(`[data-dispute-id="${target.id}"]`).click();
  await browser.$('[data-testid="dispute-case"]').waitForExist({ timeout: 5000 });
  await browser.keys('m');
  await browser.$('[data-testid="dispute-dialog-message"]').waitForExist({ timeout: 3000 });
  const draft = 'Half-written: we are still waiting for the courier to confirm the delivery date.';
  await browser.$('[data-testid="message-body"]').setValue(draft);
  await browser.keys('Escape');
  await browser.$('[data-testid="dispute-dialog-message"]').waitForExist({ reverse: true, timeout: 3000 });

  // The app is closed and started again on the same data.
  await app.stop();
  app = await startApp();
  browser = app.browser;
  const row = browser.$(`[data-dispute-id="${target.id}"]`);
  await row.waitForExist({ timeout: 30000, timeoutMsg: 'the case list did not come back' });
  await row.click();
  await browser.$('[data-testid="dispute-case"]').waitForExist({ timeout: 5000 });
  await browser.keys('m');
  await browser.$('[data-testid="draft-restored"]').waitForExist({ timeout: 3000, timeoutMsg: 'the draft was lost' });
  assert.equal(await browser.$('[data-testid="message-body"]').getValue(), draft);
});
