// Drives Debian's chromium through the goguacd web client and prints one
// JSON line of results. Run by web/browser_integration_test.go:
//   node web/test/browser.mjs <page url>
// Exits non-zero with a message on the first failed check.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2];
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base) {
  console.error('usage: node browser.mjs <page url>');
  process.exit(2);
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

// pixel reads the remote display's default layer at (x, y).
async function pixel(page, x, y) {
  return page.evaluate(([x, y]) => {
    const canvas = document.querySelector('#display canvas');
    if (!canvas) return null;
    return Array.from(canvas.getContext('2d').getImageData(x, y, 1, 1).data);
  }, [x, y]);
}

async function waitPixel(page, x, y, rgb, what) {
  const deadline = Date.now() + 15000;
  let last = null;
  while (Date.now() < deadline) {
    last = await pixel(page, x, y);
    if (last && last[0] === rgb[0] && last[1] === rgb[1] && last[2] === rgb[2]) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: pixel (${x},${y}) is ${JSON.stringify(last)}, want ${JSON.stringify(rgb)}`);
}

async function waitConnected(page, what) {
  await page.waitForFunction(() => window.goguacd && window.goguacd.state === 'connected', null, { timeout: 15000 })
    .catch(async () => {
      const status = await page.textContent('#status').catch(() => '?');
      throw new Error(`${what}: never connected (status: ${status})`);
    });
}

// session opens connection id, checks the colour, types text and checks the
// backend's key squares are drawn; it returns the transport used.
async function session(context, url, color, text, what, extra) {
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push('pageerror: ' + e.message));
  try {
    await page.goto(url);
    await waitConnected(page, what);
    await waitPixel(page, 40, 40, color, what + ' display colour');
    await page.click('#display');
    await page.keyboard.type(text, { delay: 20 });
    // The test backend draws an 8x8 white square per key press, the n-th
    // at x = 8n.
    await waitPixel(page, 8 * (text.length - 1) + 4, 4, [255, 255, 255], what + ' key echo');
    if (extra) await extra(page);
    const transport = await page.evaluate(() => window.goguacd.transport());
    const info = await page.evaluate(() => ({ connId: window.goguacd.connId, utf16: window.goguacd.countsUTF16 }));
    check(/^\$[0-9a-f-]{36}$/.test(info.connId || ''), what + ' connection id from ready: ' + info.connId);
    await page.click('#btn-disconnect');
    await page.waitForSelector('#list:not([hidden])', { timeout: 5000 });
    return { transport, ...info };
  } catch (e) {
    const diag = await page.evaluate(() => ({ canvases: Array.from(document.querySelectorAll('#display canvas')).map((c) => [c.width, c.height, Array.from(c.getContext('2d').getImageData(4, 4, 1, 1).data), Array.from(c.getContext('2d').getImageData(40, 40, 1, 1).data)]), recent: window.goguacd.recent, errors: window.goguacd.errors, state: window.goguacd.state,
      status: document.getElementById('status').textContent })).catch(() => ({}));
    e.message += '\npage: ' + JSON.stringify(diag) + '\nbrowser console:\n' + logs.join('\n');
    throw e;
  } finally {
    await page.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'goguacd-chromium-'));
const context = await chromium.launchPersistentContext(dir, {
  executablePath: chromiumPath, headless: true, args: FLAGS, viewport: { width: 800, height: 600 },
});
const results = {};
try {
  // 1. The list shows the permitted connections only.
  const list = await context.newPage();
  await list.goto(base);
  await list.waitForSelector('#connections a', { timeout: 10000 });
  const names = await list.$$eval('#connections a', (as) => as.map((a) => a.dataset.id));
  check(names.includes('blue') && !names.includes('secret'), 'connection list ' + JSON.stringify(names));
  // Opening one from the list.
  await list.click('#connections a[data-id="blue"]');
  await waitConnected(list, 'list click');
  await list.close();

  // 2. WebSocket tunnel (the ChainedTunnel's first choice).
  results.ws = await session(context, base + '#connect=blue', [0, 0, 255], 'ws', 'websocket', async (page) => {
    // Clipboard to the remote desktop, through the clipboard panel.
    await page.click('#btn-clipboard');
    await page.fill('#clipboard-text', 'copied from the browser');
    await page.click('#clipboard-send');
    // A read-only viewer joins through the share link and sees the screen.
    await page.click('#btn-share');
    const link = await page.inputValue('#share-links li:first-child input');
    check(/#join=%24[0-9a-f-]{36}&share=ro$/.test(link), 'watch-only link ' + link);
    const viewer = await context.newPage();
    try {
      await viewer.goto(link);
      await waitConnected(viewer, 'viewer');
      // The test backend's Join sends its base screen: blue.
      await waitPixel(viewer, 40, 40, [0, 0, 255], 'viewer sees the shared screen');
      check(await viewer.evaluate(() => window.goguacd.connId) === decodeURIComponent(link.split('#join=')[1].split('&')[0]), 'viewer joined another connection');
    } finally {
      await viewer.close();
    }
  });
  check(results.ws.transport === 'ws', 'websocket session used ' + results.ws.transport);

  // 3. WebSockets blocked: the ChainedTunnel falls back to the HTTP tunnel.
  await context.routeWebSocket(/websocket-tunnel/, (ws) => ws.close({ code: 1011, reason: '' }));
  results.fallback = await session(context, base + '#connect=blue', [0, 0, 255], 'fb', 'blocked websocket');
  check(results.fallback.transport === 'http', 'fallback session used ' + results.fallback.transport);
  await context.unrouteAll({ behavior: 'ignoreErrors' });

  // 4. HTTP tunnel only, forced by the page flag.
  results.http = await session(context, base + '?tunnel=http#connect=blue', [0, 0, 255], 'hp', 'http tunnel');
  check(results.http.transport === 'http', 'forced http session used ' + results.http.transport);

  // 5. A forbidden connection gives plain words, not a code.
  const denied = await context.newPage();
  await denied.goto(base + '#connect=secret');
  await denied.waitForFunction(() => /not allowed to open this connection/.test(document.getElementById('status').textContent), null, { timeout: 15000 })
    .catch(async () => { throw new Error('forbidden connection status: ' + await denied.textContent('#status')); });
  results.denied = await denied.textContent('#status');
  await denied.close();

  // 6. A desktop that is down: plain words and an automatic retry.
  const flaky = await context.newPage();
  await flaky.goto(base + '#connect=flaky');
  await flaky.waitForFunction(() => /not responding\. Reconnecting in \d+ s/.test(document.getElementById('status').textContent), null, { timeout: 15000 })
    .catch(async () => { throw new Error('unavailable desktop status: ' + await flaky.textContent('#status')); });
  await flaky.waitForFunction(() => window.goguacd.errors.length >= 2, null, { timeout: 15000 })
    .catch(async () => { throw new Error('no retry: ' + JSON.stringify(await flaky.evaluate(() => window.goguacd.errors))); });
  results.retries = await flaky.evaluate(() => window.goguacd.errors);
  await flaky.close();

  // 7. The demo desktop through goguacd's VNC backend: its colours appear,
  // and a mouse drag draws a line on the remote desktop that comes back.
  const desk = await context.newPage();
  await desk.goto(base + '#connect=demo');
  await waitConnected(desk, 'demo desktop');
  await waitPixel(desk, 5, 5, [0x33, 0x4d, 0x66], 'demo header');
  await waitPixel(desk, 1000, 740, [0x1d, 0x2b, 0x3a], 'demo background');
  const box = await desk.evaluate(() => {
    const c = document.querySelector('#display canvas');
    const r = c.getBoundingClientRect();
    return { left: r.left, top: r.top, scale: r.width / c.width };
  });
  const at = (x, y) => [box.left + x * box.scale, box.top + y * box.scale];
  await desk.mouse.move(...at(300, 600));
  await desk.mouse.down();
  await desk.mouse.move(...at(700, 600), { steps: 20 });
  await desk.mouse.up();
  await waitPixel(desk, 500, 600, [0xff, 0xd4, 0x00], 'line drawn with the mouse');
  results.demo = 'drawn';
  await desk.close();
} finally {
  await context.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(results));
