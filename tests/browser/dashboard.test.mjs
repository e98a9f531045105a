// The dashboard page in Debian's Chromium against a running omnireports with demo data.
// Env: OMNIREPORTS_URL (e.g. http://127.0.0.1:3000), DEMO_MANAGER_ID, DEMO_MANAGER_TOKEN.
// scripts/browser-test.sh sets them up. The tests run in order and stay under the rate limit
// (10 calls per report route and minute): the page's reloads are counted below.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

// Browser and test compute "today" in the same zone, one off UTC, so the local-midnight → UTC
// conversion is visible: São Paulo is UTC−3 all year.
const TIME_ZONE = 'America/Sao_Paulo';
process.env.TZ = TIME_ZONE;

const BASE = env('OMNIREPORTS_URL').replace(/\/$/, '');
const MANAGER = { userId: env('DEMO_MANAGER_ID'), token: env('DEMO_MANAGER_TOKEN') };
const REPORTS_PATH = '/api/v1/livechat/analytics/dashboards';
const REPORTS = ['department', 'source', 'status', 'tags', 'agent'].map(
  (name) => `conversations-by-${name}`,
);
const UNAUTHORIZED = 'You must be logged in to do this.';

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (scripts/browser-test.sh sets it)`);
  return value;
}

// A fresh page (own sessionStorage) that records script errors, console errors and failed
// responses.
async function openPage() {
  const context = await browser.newContext({ timezoneId: TIME_ZONE });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(`${BASE}/`);
  return { page, errors };
}

async function signIn(page, { userId, token }) {
  await page.fill('#user-id', userId);
  await page.fill('#token', token);
  await page.click('#sign-in button[type="submit"]');
}

async function reportsReady(page, period) {
  for (const name of REPORTS) {
    await page.locator(`#${name}[data-state="ready"][data-period="${period}"]`).waitFor();
  }
}

// Whole local days from `daysBack` days ago to today, as ISO strings.
function lastDays(daysBack) {
  const now = new Date();
  const [y, m, d] = [now.getFullYear(), now.getMonth(), now.getDate()];
  return {
    start: new Date(y, m, d - daysBack).toISOString(),
    end: new Date(y, m, d, 23, 59, 59, 999).toISOString(),
  };
}

function localDate(daysBack) {
  const day = new Date();
  day.setDate(day.getDate() - daysBack);
  const pad = (n) => String(n).padStart(2, '0');
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

async function shownRange(page, name) {
  return page.locator(`#${name}`).evaluate((section) => ({
    start: section.dataset.start,
    end: section.dataset.end,
  }));
}

async function shownRows(page, name) {
  return page.locator(`#${name} tbody tr`).evaluateAll((rows) =>
    rows.map((row) => ({
      label: row.querySelector('th').textContent,
      value: Number(row.querySelector('td').textContent),
    })),
  );
}

async function chartValues(page, name) {
  return page.evaluate(
    (id) => globalThis.Chart.getChart(document.querySelector(`#${id} canvas`))?.data.datasets[0].data,
    name,
  );
}

async function api(name, { start, end }) {
  const query = new URLSearchParams({ start, end });
  const response = await fetch(`${BASE}${REPORTS_PATH}/${name}?${query}`, {
    headers: { 'X-User-Id': MANAGER.userId, 'X-Auth-Token': MANAGER.token },
  });
  assert.equal(response.status, 200, `${name}: ${await response.clone().text()}`);
  return response.json();
}

// Calls per report route: 2 (this week, last 30 days) + 1 by this test.
test('the last 30 days show exactly what the API returns for them', async () => {
  const { page, errors } = await openPage();
  await signIn(page, MANAGER);
  await reportsReady(page, 'this week');

  const expectedBefore = lastDays(30);
  await page.selectOption('#period', 'last 30 days');
  await reportsReady(page, 'last 30 days');
  const expectedAfter = lastDays(30);

  const range = await shownRange(page, 'conversations-by-department');
  // Local midnight in São Paulo is 03:00 UTC; the end is 02:59:59.999 UTC the next day.
  assert.match(range.start, /T03:00:00\.000Z$/);
  assert.match(range.end, /T02:59:59\.999Z$/);
  assert.ok(
    [expectedBefore, expectedAfter].some((e) => e.start === range.start && e.end === range.end),
    `range ${JSON.stringify(range)} is not the last 30 days ${JSON.stringify(expectedAfter)}`,
  );

  const departments = await api('conversations-by-department', range);
  assert.ok(departments.data.length > 0, 'the demo data has departments in the last 30 days');
  assert.equal(
    await page.locator('#department-summary').textContent(),
    `${departments.data.length} departments and ${departments.total} conversations, ` +
      `last 30 days (${departments.unspecified} without department)`,
  );

  for (const name of REPORTS) {
    assert.deepEqual(await shownRange(page, name), range, name);
    const body = name === 'conversations-by-department' ? departments : await api(name, range);
    assert.deepEqual(await shownRows(page, name), body.data, name);
    assert.deepEqual(await chartValues(page, name), body.data.map((row) => row.value), name);
    const total = await page.locator(`#${name}`).getAttribute('data-total');
    assert.equal(Number(total), body.total, name);
  }
  assert.equal(await page.locator('#error').textContent(), '');
  assert.deepEqual(errors, []);
  await page.context().close();
});

// Calls per report route: 2 (this week, the prefilled custom range) + 1 (the new start).
test('a custom range asks for whole local days from the first to the last date', async () => {
  const { page, errors } = await openPage();
  await signIn(page, MANAGER);
  await reportsReady(page, 'this week');
  await page.selectOption('#period', 'custom');
  assert.equal(await page.inputValue('#custom-end'), localDate(0));

  const first = localDate(60);
  await page.fill('#custom-start', first);
  const label = `from ${first} to ${localDate(0)}`;
  await reportsReady(page, label);

  assert.deepEqual(await shownRange(page, 'conversations-by-agent'), lastDays(60));
  assert.match(await page.locator('#department-summary').textContent(), new RegExp(`, ${label} \\(\\d+ without department\\)$`));
  assert.deepEqual(errors, []);
  await page.context().close();
});

// Calls per report route: 1.
test('signing out forgets the credentials and the numbers', async () => {
  const { page } = await openPage();
  await signIn(page, MANAGER);
  await reportsReady(page, 'this week');
  await page.click('#sign-out');

  await page.locator('#sign-in').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.locator('#conversations-by-department tbody tr').count(), 0);
  assert.equal(await page.locator('#department-summary').textContent(), '');
  await page.context().close();
});

// A 401 is answered before the rate limiter counts the call.
test('a bad token shows the API 401 message and asks to sign in again', async () => {
  const { page } = await openPage();
  await signIn(page, { userId: MANAGER.userId, token: 'not-the-token' });

  const alert = page.getByRole('alert');
  await alert.filter({ hasText: UNAUTHORIZED }).waitFor();
  assert.equal(await alert.textContent(), UNAUTHORIZED);
  assert.ok(await alert.isVisible());
  assert.ok(await page.locator('#sign-in').isVisible());
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.context().close();
});
