/**
 * The browser example in real headless Chromium (Debian's, driven by
 * playwright-core; no browser is ever downloaded). Each test checks what the
 * page shows, through the DOM: a secure login and rpc, chat pushes, authFail
 * for a wrong password, and badRecord when a proxy flips a bit in a frame.
 *
 * Without /usr/bin/chromium the suite is skipped, loudly; under CI=true it fails.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { buildBrowser } from '../../scripts/build-browser.ts';
import { startExample, type Example } from '../../examples/browser/serve.ts';
import { connect } from '../../src/client/node.ts';
import { atom, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { deadline } from '../helpers/latch.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const UI_MS = 10_000;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const msg = `\n*** browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH) ***\n`;
  process.stderr.write(msg);
  if (process.env.CI === 'true') {
    test('Chromium is installed (required under CI=true)', () => assert.fail(msg.trim()));
  }
}

/**
 * A WebSocket middlebox between the page and the server that flips one bit
 * in the `n`th server-to-client message (1 = handshake reply, 2 = login
 * result, 3 = the first record) and notes how the page closed.
 */
async function startTamperProxy(
  target: string,
  n: number,
): Promise<{ url: string; pageClosed: Promise<{ code: number; reason: string }>; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let onPageClose!: (c: { code: number; reason: string }) => void;
  const pageClosed = new Promise<{ code: number; reason: string }>((r) => (onPageClose = r));
  wss.on('connection', (page) => {
    const upstream = new WebSocket(target);
    const early: RawData[] = [];
    let fromServer = 0;
    upstream.on('open', () => {
      for (const m of early.splice(0)) upstream.send(m);
    });
    page.on('message', (m: RawData) => (upstream.readyState === WebSocket.OPEN ? upstream.send(m) : early.push(m)));
    upstream.on('message', (m: Buffer) => {
      if (++fromServer === n) {
        m = Buffer.from(m);
        m[m.length >> 1] ^= 0x01;
      }
      page.send(m);
    });
    page.on('close', (code, reason) => {
      onPageClose({ code, reason: reason.toString() });
      upstream.close();
    });
    upstream.on('close', () => page.close());
    page.on('error', () => {});
    upstream.on('error', () => {});
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`,
    pageClosed,
    close: () => new Promise((r) => wss.close(() => r())),
  };
}

describe('the browser example in headless Chromium', { skip: haveChromium ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let dir: string;
  let ex: Example;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    await buildBrowser();
    dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-browser-'));
    ex = await startExample({ httpPort: 0, wsPort: 0, tcpPort: 0, identityFile: path.join(dir, 'server.key'), logger: pino({ level: 'silent' }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await ex?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openPage(query = ''): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(UI_MS);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${ex.pageUrl}${query}`);
    await page.locator('#connect:enabled').waitFor();
    return page;
  }

  async function login(page: Page, password = 'ABXy45'): Promise<void> {
    await page.fill('#password', password);
    await page.click('#connect');
    await page.locator('#status:not([data-state="connecting"])').waitFor();
  }

  test('the page pins the key from its own origin, logs in securely, stores and looks up', async () => {
    const page = await openPage();
    try {
      assert.equal(await page.textContent('#server-key'), ex.serverKey);
      await login(page);
      assert.equal(await page.getAttribute('#status', 'data-state'), 'open', (await page.textContent('#status')) ?? '');
      assert.match((await page.textContent('#status'))!, /^connected \(secure\)/);
      await page.fill('#key', 'page_joe');
      await page.fill('#value', 'writing a book');
      await page.click('#store');
      await page.click('#lookup');
      await page.locator('#result[data-state="ok"]').waitFor();
      assert.equal(await page.textContent('#result'), '{ok,"writing a book"}');
      await page.fill('#key', 'page_jim');
      await page.click('#lookup');
      await page.locator('#result', { hasText: 'undefined' }).waitFor();
      assert.deepEqual(pageErrors, []);
    } finally {
      await page.close();
    }
  });

  test("chat pushes from a Node client show on the page, and the page's reach the Node client", async () => {
    const page = await openPage();
    const bob = await connect(ex.wsUrl, 'chat', null, 'bob', { serverKey: ex.serverKey });
    try {
      const pushes = bob[Symbol.asyncIterator]();
      await page.fill('#nick', 'alice');
      await page.click('#join');
      await page.locator('#chat-status[data-state="open"]').waitFor();
      const joined = await deadline(pushes.next(), UI_MS, 'the page joining');
      assert.ok(termEqual(joined.value as Term, tuple(atom('joined'), 'alice')));
      bob.cast(tuple(atom('say'), 'hello page'));
      await page.locator('#pushes li', { hasText: '{said,"bob","hello page"}' }).waitFor();
      await page.fill('#say-text', 'hello bob');
      await page.click('#say');
      const said = await deadline(pushes.next(), UI_MS, "the page's message");
      assert.ok(termEqual(said.value as Term, tuple(atom('said'), 'alice', 'hello bob')));
    } finally {
      bob.close();
      await page.close();
    }
  });

  test('a wrong password shows authFail on the page', async () => {
    const page = await openPage();
    try {
      await login(page, 'not the password');
      assert.equal(await page.getAttribute('#status', 'data-state'), 'error');
      assert.equal(await page.getAttribute('#status', 'data-code'), 'authFail');
      assert.equal(await page.textContent('#status'), 'error: authFail');
    } finally {
      await page.close();
    }
  });

  test('a bit flipped in a server frame closes the channel with badRecord, and the server hears why', async () => {
    const proxy = await startTamperProxy(ex.wsUrl, 3);
    const page = await openPage(`?ws=${encodeURIComponent(proxy.url)}`);
    try {
      await login(page);
      assert.equal(await page.getAttribute('#status', 'data-state'), 'open');
      await page.click('#lookup'); // its reply is server message 3, the one tampered with
      await page.locator('#status[data-state="closed"]').waitFor();
      assert.equal(await page.getAttribute('#status', 'data-code'), 'badRecord');
      assert.equal(await page.textContent('#status'), 'closed: badRecord');
      await page.locator('#result[data-state="error"]').waitFor();
      assert.equal(await page.textContent('#result'), 'error: badRecord');
      assert.deepEqual(await deadline(proxy.pageClosed, UI_MS, 'the page to close its WebSocket'), { code: 4000, reason: 'badRecord' });
    } finally {
      await page.close();
      await proxy.close();
    }
  });
});
