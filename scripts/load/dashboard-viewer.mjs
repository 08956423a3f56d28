// Keeps the dashboard open in headless Chromium during a load test (scripts/load.sh with
// DASHBOARD=1), as an operator watching it would, and on SIGTERM prints what the page asked of
// the server: requests per endpoint and their latency (median, p99, max).
//
//   node scripts/load/dashboard-viewer.mjs http://127.0.0.1:3917/ui
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(path.join(root, 'ci/node/package.json'))('playwright-core');

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const started = new Map();
const timings = {};
page.on('request', (r) => started.set(r, performance.now()));
page.on('requestfinished', (r) => {
  const u = new URL(r.url());
  if (!u.pathname.startsWith('/api/') || u.pathname === '/api/live') return;
  const key = u.pathname.startsWith('/api/media/') ? '/api/media/*' : u.pathname;
  (timings[key] ??= []).push(performance.now() - started.get(r));
});
await page.goto(url);
await page.waitForSelector('#counters tr[data-detail-type], #counters', { timeout: 60_000 });
console.error(`dashboard open: ${url}`);

const report = async () => {
  const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const lines = ['| endpoint | requests | median ms | p99 ms | max ms |', '|---|---:|---:|---:|---:|'];
  for (const [key, xs] of Object.entries(timings).sort()) {
    xs.sort((a, b) => a - b);
    lines.push(`| ${key} | ${xs.length} | ${q(xs, 0.5).toFixed(1)} | ${q(xs, 0.99).toFixed(1)} | ${xs[xs.length - 1].toFixed(1)} |`);
  }
  const head = await page.textContent('#head').catch(() => '?');
  console.log(`The open dashboard's requests (page showed log head ${head}):\n${lines.join('\n')}`);
  await browser.close();
  process.exit(0);
};
process.on('SIGTERM', report);
process.on('SIGINT', report);
