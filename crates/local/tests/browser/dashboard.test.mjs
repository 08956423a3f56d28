// The dashboard in a real browser: Debian's Chromium driven by playwright-core (ci/node), against
// a real `starling demo --serve` (the debug build the Rust tests made). Run by scripts/test.sh:
//
//   STARLING_BIN=target/debug/starling node --test crates/local/tests/browser/dashboard.test.mjs
//
// It checks that the page's counts equal the event log's, that a signed delivery shows up live
// (no reload), that the annotated photo of a reply loads, that a dead letter leaves the list once
// redriven, and that the query runner runs a named query; it saves a screenshot as an artifact
// (ARTIFACTS_DIR, default the system temp directory).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const require = createRequire(path.join(root, 'ci/node/package.json'));
const { chromium } = require('playwright-core');

const bin = process.env.STARLING_BIN;
const artifacts = process.env.ARTIFACTS_DIR ?? os.tmpdir();
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Generous bounds for a busy 2-core machine; how long things actually took is printed.
const PATIENCE = 30_000;

let work, demoDir, server, base, browser, page, hook;
const consoleErrors = [];
// The Slack-compatible alert webhook: failing until the test heals it.
const hookState = { healthy: false, received: [] };

function waitForLine(child, pattern, ms) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${ms} ms:\n${seen}`)), ms);
    const onData = (chunk) => {
      seen += chunk.toString();
      const m = seen.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => { seen += c.toString(); });
    child.on('exit', (code) => reject(new Error(`starling exited (${code}):\n${seen}`)));
  });
}

/** Events per detail-type, counted from the event log itself (`starling events list --json`). */
function logCounts() {
  const counts = {};
  const out = execFileSync(bin, ['--data-dir', demoDir, 'events', 'list', '--json', '--limit', '1000000'], { encoding: 'utf8' });
  for (const line of out.split('\n').filter(Boolean)) {
    const type = JSON.parse(line)['detail-type'];
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

async function pageCounts() {
  return page.$$eval('#counters tr[data-detail-type]', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.detailType, Number(r.querySelector('td.total').textContent)])));
}

before(async () => {
  assert.ok(bin, 'set STARLING_BIN to the starling binary');
  work = mkdtempSync(path.join(os.tmpdir(), 'starling-browser-'));
  demoDir = path.join(work, 'demo');
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (hookState.healthy) hookState.received.push(body);
      res.writeHead(hookState.healthy ? 200 : 500).end(hookState.healthy ? 'ok' : 'down');
    });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${hook.address().port}/hook`;
  // --max-retries 0: the negative message's alert fails once against the broken webhook and is
  // dead-lettered at once, for the redrive below.
  server = spawn(bin, ['--data-dir', work, '--max-retries', '0', 'demo', '--serve', '--port', '0',
    '--alert-webhook-url', hookUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  const [, url] = await waitForLine(server, /Dashboard: (http:\/\/[^\s]+)\/ui/, 120_000);
  base = url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${base}/ui`);
  await page.waitForSelector('#counters tr[data-detail-type]', { timeout: PATIENCE });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  hook?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the counters equal the event log', async () => {
  const fromLog = logCounts();
  assert.ok(Object.keys(fromLog).length >= 8, `the demo logged its events: ${JSON.stringify(fromLog)}`);
  await page.waitForFunction(
    (want) => {
      const rows = [...document.querySelectorAll('#counters tr[data-detail-type]')];
      const got = Object.fromEntries(rows.map((r) => [r.dataset.detailType, Number(r.querySelector('td.total').textContent)]));
      return JSON.stringify(got) === JSON.stringify(want);
    },
    Object.fromEntries(Object.entries(fromLog).sort()),
    { timeout: PATIENCE },
  );
  assert.deepEqual(await pageCounts(), Object.fromEntries(Object.entries(fromLog).sort()));
  assert.equal(await page.textContent('#head'), String(Object.values(fromLog).reduce((a, b) => a + b, 0)));
  await page.waitForSelector('#live-status[data-state="connected"]', { timeout: PATIENCE });
});

test('a signed delivery appears live, without a reload', async () => {
  const before = (await pageCounts()).MESSAGE_RECEIVED;
  const body = readFileSync(path.join(root, 'crates/local/demo/1-mention-joke.json'), 'utf8')
    .replaceAll('1995000000000000001', '1995000000000000777')
    .replace('tell me a joke please', 'tell me a fact about starlings');
  const file = path.join(work, 'live.json');
  writeFileSync(file, body);
  const navigations = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));
  const sent = Date.now();
  execFileSync(bin, ['--data-dir', demoDir, 'send', '--url', `${base}/twitter`, file], { encoding: 'utf8' });
  await page.waitForFunction(
    (n) => Number(document.querySelector('#counters tr[data-detail-type="MESSAGE_RECEIVED"] td.total')?.textContent) === n,
    before + 1,
    { timeout: PATIENCE },
  );
  console.log(`# the delivery showed on the page ${Date.now() - sent} ms after it was sent`);
  assert.deepEqual(navigations, [], 'the page was not reloaded');
  await page.click('nav [data-section="messages"]');
  await page.waitForSelector('#messages tr.message[data-tweet-id="1995000000000000777"]', { timeout: PATIENCE });
});

test('the reply to the photo shows its annotated image', async () => {
  await page.click('nav [data-section="messages"]');
  const row = page.locator('#messages tr.message[data-tweet-id="1995000000000000003"]');
  await row.waitFor({ timeout: PATIENCE });
  await row.click();
  const img = page.locator('.message-detail img.reply-image').first();
  await img.waitFor({ timeout: PATIENCE });
  await page.waitForFunction(() => {
    const i = document.querySelector('.message-detail img.reply-image');
    return i && i.complete && i.naturalWidth > 0;
  }, null, { timeout: PATIENCE });
  const size = await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  assert.ok(size[0] > 100 && size[1] > 100, `the annotated photo decoded: ${size}`);
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'dashboard-message.png'), fullPage: true });
});

test('a redriven dead letter leaves the list', async () => {
  await page.click('nav [data-section="dead-letters"]');
  const letter = page.locator('#dead-letters tr.dead-letter[data-route="alert-negative"]');
  await letter.first().waitFor({ timeout: PATIENCE });
  hookState.healthy = true;
  await page.click('button.redrive[data-route="alert-negative"]');
  await page.waitForFunction(
    () => document.querySelectorAll('#dead-letters tr.dead-letter').length === 0,
    null,
    { timeout: PATIENCE },
  );
  assert.equal(hookState.received.length, 1, 'the redriven alert reached the webhook once');
  assert.match(hookState.received[0], /negative message from @sam_demo/);
  const letters = execFileSync(bin, ['--data-dir', demoDir, 'dlq', 'list', '--json'], { encoding: 'utf8' })
    .split('\n').filter(Boolean);
  assert.deepEqual(letters, [], 'the event log has no dead letter left');
});

test('the query runner runs a named query', async () => {
  await page.click('nav [data-section="queries"]');
  await page.selectOption('#query-select', 'sentiment-by-language');
  await page.click('#query-run');
  await page.waitForSelector('#query-result tbody tr', { timeout: PATIENCE });
  const rows = await page.$$eval('#query-result tbody tr', (r) => r.map((x) => x.textContent));
  assert.equal(rows.length, 3, rows.join('\n'));
  assert.ok(rows.some((r) => r.includes('NEGATIVE')));
  await page.waitForSelector('#query-chart svg', { timeout: PATIENCE });
});

test('the overview, screenshotted, with no errors in the console', async () => {
  await page.click('nav [data-section="overview"]');
  await page.waitForSelector('#minute-chart svg', { timeout: PATIENCE });
  await page.waitForSelector('#sentiment-chart svg', { timeout: PATIENCE });
  mkdirSync(artifacts, { recursive: true });
  const shot = path.join(artifacts, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  // The README's picture (docs/dashboard.jpg is a copy of one of these).
  await page.screenshot({ path: path.join(artifacts, 'dashboard.jpg'), fullPage: true, type: 'jpeg', quality: 70 });
  console.log(`# screenshot: ${shot}`);
  assert.deepEqual(consoleErrors, []);
});

test('the API refuses a cross-site POST and a foreign Host', async () => {
  const post = await fetch(`${base}/api/dead-letters/redrive`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
  });
  assert.equal(post.status, 403);
  const port = new URL(base).port;
  const status = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/api/summary', headers: { host: `rebound.example:${port}` } },
      (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject);
  });
  assert.equal(status, 403);
});
