// A central service the test owns: seeded, with one user, on a fixed loopback
// port once started, so the test can stop it (offline) and start it again.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { startApp } from './harness.mjs';

export class OwnCentral {
  constructor(dataDir, seedArgs, role, name) {
    this.bin = process.env.TRUSTDESK_CENTRAL_BIN;
    if (!this.bin) throw new Error('TRUSTDESK_CENTRAL_BIN is not set; run through `cargo xtask test`');
    this.dataDir = dataDir;
    mkdirSync(dataDir, { recursive: true });
    execFileSync(this.bin, ['seed', ...seedArgs, '--data-dir', dataDir]);
    this.token = execFileSync(this.bin, ['user', 'add', '--name', name, '--role', role, '--data-dir', dataDir])
      .toString()
      .trim();
    this.listen = '127.0.0.1:0';
    this.child = null;
  }

  async start() {
    const child = spawn(this.bin, ['serve', '--listen', this.listen, '--data-dir', this.dataDir], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const lines = readline.createInterface({ input: child.stdout });
    const first = await new Promise((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`central exited with ${code}`)));
    });
    const m = /^listening on (http:\/\/(127\.0\.0\.1:\d+))$/.exec(first.trim());
    if (!m) throw new Error(`unexpected first line: ${first}`);
    this.url = m[1];
    this.listen = m[2]; // the same port after a restart
    this.child = child;
    return this.url;
  }

  async stop() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  /** Walks the whole feed as this user and returns the latest entity by id. */
  async entity(id) {
    let since = '0';
    let found = null;
    for (;;) {
      const res = await fetch(`${this.url}/v1/changes?since=${since}&limit=1000`, {
        headers: { authorization: `Bearer ${this.token}` },
      });
      if (res.status !== 200) throw new Error(`feed answered ${res.status}`);
      const page = await res.json();
      for (const c of page.items) if (c.id === id) found = c.entity;
      if (!page.has_more) return found;
      since = page.next_cursor;
    }
  }
}

/**
 * A seeded central service with one user of `role`, and the app on a fresh data
 * directory signed in to it (as the demo signs in: through the keyring).
 */
export async function appWithOwnCentral(name, seedArgs, role, userName) {
  const tmp = process.env.TRUSTDESK_E2E_TMP;
  if (!tmp) throw new Error('TRUSTDESK_E2E_TMP is not set; run through `cargo xtask test`');
  const central = new OwnCentral(path.join(tmp, `${name}-central`), seedArgs, role, userName);
  await central.start();
  process.env.TRUSTDESK_DATA_DIR = path.join(tmp, `${name}-workstation`);
  process.env.TRUSTDESK_SERVER = central.url;
  process.env.TRUSTDESK_TOKEN = central.token;
  const app = await startApp();
  return { central, app };
}
