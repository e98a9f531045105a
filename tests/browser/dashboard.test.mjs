// The dashboard page in Debian's Chromium against a running omnireports with demo data.
// Env: OMNIREPORTS_URL (e.g. http://127.0.0.1:3000), DEMO_PASSWORD, DEMO_MANAGER_USERNAME,
// DEMO_MANAGER_ID, DEMO_MANAGER_TOKEN, DEMO_LEAD_USERNAME, DEMO_LEAD_ID, DEMO_LEAD_TOTP_SECRET.
// scripts/browser-test.sh sets them up. The tests run in order, well within a minute, and stay
// under the rate limit (10 calls per client IP, route and minute, /api/v1/login included): each
// test counts its calls below. All tests together: /api/v1/login 7 (every attempt counts),
// /api/v1/logout 1, /api/v1/me 2, each report route 9 (a report's 401 or 403 comes before the
// count), each timeseries and compare route 8 (the department's 9), the department's export 1.
import { after, before, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { readFile } from 'node:fs/promises';

// Browser and test compute "today" in the same zone, one off UTC, so the local-midnight → UTC
// conversion is visible: São Paulo is UTC−3 all year.
const TIME_ZONE = 'America/Sao_Paulo';
process.env.TZ = TIME_ZONE;

const BASE = env('OMNIREPORTS_URL').replace(/\/$/, '');
const PASSWORD = env('DEMO_PASSWORD');
const MANAGER = {
  username: env('DEMO_MANAGER_USERNAME'),
  userId: env('DEMO_MANAGER_ID'),
  token: env('DEMO_MANAGER_TOKEN'),
};
const LEAD = { username: env('DEMO_LEAD_USERNAME'), userId: env('DEMO_LEAD_ID') };
const LEAD_TOTP = new TOTP({
  secret: Secret.fromBase32(env('DEMO_LEAD_TOTP_SECRET')),
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
});
const LOGIN_URL = `${BASE}/api/v1/login`;
const LOGOUT_URL = `${BASE}/api/v1/logout`;
const REPORTS_PATH = '/api/v1/livechat/analytics/dashboards';
const EXTENSIONS_PATH = '/api/omnireports/v1';
const REPORTS = ['department', 'source', 'status', 'tags', 'agent'].map(
  (name) => `conversations-by-${name}`,
);
const UNAUTHORIZED = 'You must be logged in to do this.';
const STORAGE_KEY = 'omnireports.credentials';

// A test that hangs (a response that never comes) fails instead of holding up the run.
const test = (name, fn) => nodeTest(name, { timeout: 60_000 }, fn);

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

// Signs in through the password form; resolves to the login response.
async function signIn(page, { username, password = PASSWORD, code }) {
  await page.fill('#username', username);
  await page.fill('#password', password);
  if (code !== undefined) await page.fill('#code', code);
  return submitLogin(page);
}

async function submitLogin(page) {
  const [response] = await Promise.all([
    page.waitForResponse((response) => response.url() === LOGIN_URL),
    page.click('#password-sign-in button[type="submit"]'),
  ]);
  return response;
}

async function signInWithToken(page, { userId, token }) {
  await page.click('#token-sign-in-details summary');
  await page.fill('#user-id', userId);
  await page.fill('#token', token);
  await page.click('#token-sign-in button[type="submit"]');
}

async function stored(page) {
  return page.evaluate((key) => JSON.parse(sessionStorage.getItem(key)), STORAGE_KEY);
}

// The alert once it reads `text` (it is empty until then).
async function alertText(page, text) {
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: text }).waitFor();
  assert.ok(await alert.isVisible());
  return alert.textContent();
}

async function me({ userId, token }) {
  const response = await fetch(`${BASE}/api/v1/me`, {
    headers: { 'X-User-Id': userId, 'X-Auth-Token': token },
  });
  return { status: response.status, body: await response.json() };
}

// A code of the lead that is valid for a while yet: the server might check only the current
// 30-second step, so one made in a step's last seconds waits for the next step.
async function leadCode() {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
  return LEAD_TOTP.generate();
}

// A six-digit code that no step from a minute ago to a minute ahead accepts.
function wrongLeadCode() {
  const now = Date.now();
  const valid = new Set(
    [-2, -1, 0, 1, 2].map((step) => LEAD_TOTP.generate({ timestamp: now + step * 30_000 })),
  );
  let code = 0;
  while (valid.has(String(code).padStart(6, '0'))) code += 1;
  return String(code).padStart(6, '0');
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

async function trendValues(page, name) {
  return page.evaluate(
    (id) => globalThis.Chart.getChart(document.querySelector(`#${id} .trend canvas`))?.data.datasets[0].data,
    name,
  );
}

// One of omnireports' own routes, as the manager.
async function extension(path, parameters) {
  const query = new URLSearchParams(parameters);
  const response = await fetch(`${BASE}${EXTENSIONS_PATH}/${path}?${query}`, {
    headers: { 'X-User-Id': MANAGER.userId, 'X-Auth-Token': MANAGER.token },
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json();
}

async function api(name, { start, end }) {
  const query = new URLSearchParams({ start, end });
  const response = await fetch(`${BASE}${REPORTS_PATH}/${name}?${query}`, {
    headers: { 'X-User-Id': MANAGER.userId, 'X-Auth-Token': MANAGER.token },
  });
  assert.equal(response.status, 200, `${name}: ${await response.clone().text()}`);
  return response.json();
}

// Calls: /api/v1/login 1; per report, timeseries and compare route 2 (this week, last 30 days)
// + 1 by this test (timeseries and compare: the department's only); the department's export 1.
test('the last 30 days show exactly what the API returns for them', async () => {
  const { page, errors } = await openPage();
  const login = await signIn(page, MANAGER);
  assert.equal(login.request().headers()['content-type'], 'application/json');
  assert.deepEqual(login.request().postDataJSON(), { user: MANAGER.username, password: PASSWORD });
  assert.equal(login.status(), 200);
  await reportsReady(page, 'this week');
  const credentials = await stored(page);
  assert.equal(credentials.userId, MANAGER.userId);
  assert.equal(credentials.token, (await login.json()).data.authToken);
  assert.equal(await page.inputValue('#password'), '', 'the password is not kept in the page');

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

  // The department card's daily trend, in the browser's zone (São Paulo, UTC−3).
  const name = 'conversations-by-department';
  const zoned = { ...range, timezone: TIME_ZONE };
  const series = await extension(`timeseries/${name}`, { ...zoned, interval: 'day' });
  assert.equal(series.timezone, TIME_ZONE);
  assert.equal(series.buckets.length, 31);
  assert.equal(series.buckets[0].start, `${localDate(30)}T00:00:00.000-03:00`);
  assert.equal(series.buckets[30].end, `${localDate(0)}T23:59:59.999-03:00`);
  assert.equal(await page.locator(`#${name}`).getAttribute('data-interval'), 'day');
  assert.deepEqual(await trendValues(page, name), series.buckets.map((bucket) => bucket.total));
  assert.equal(
    series.buckets.reduce((sum, bucket) => sum + bucket.total, 0),
    departments.total,
    'the days add up to the period',
  );

  // Its change against the previous 31 days.
  const comparison = await extension(`compare/${name}`, zoned);
  assert.equal(comparison.current.total, departments.total);
  const [now, before] = [comparison.current.total, comparison.previous.total];
  const percent = before === 0 ? null : ((now - before) / before) * 100;
  const change =
    percent === null ? (now === 0 ? 'no change' : 'new') : `${percent > 0 ? '+' : ''}${percent.toFixed(1)}%`;
  assert.equal(
    await page.locator(`#${name} .change`).textContent(),
    `${change} against the previous period (${before} → ${now})`,
  );

  // Its CSV: Rocket.Chat's file of the numbers the API gave, named and dated in the local zone.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click(`#${name} .download`),
  ]);
  assert.equal(
    download.suggestedFilename(),
    `conversations_by_department_${localDate(30)}_${localDate(0)}.csv`,
  );
  const csv = await readFile(await download.path(), 'utf8');
  const cell = (value) => `"${String(value).replaceAll('"', '""')}"`;
  const rows = departments.data.map((entry) =>
    [localDate(30), localDate(0), entry.label, entry.value].map(cell).join(';'),
  );
  assert.equal(csv, ['"From";"To";"Departments";"Total"', ...rows].join('\n') + '\n');

  assert.equal(await page.locator('#error').textContent(), '');
  assert.deepEqual(errors, []);
  await page.context().close();
});

// Calls: /api/v1/login 1; per report route 2 (this week, the prefilled custom range) + 1 (the
// new start).
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

// Calls: /api/v1/login 1, /api/v1/logout 1; per report route 1.
test('signing out revokes the token and forgets the credentials and the numbers', async () => {
  const { page } = await openPage();
  await signIn(page, MANAGER);
  await reportsReady(page, 'this week');
  const credentials = await stored(page);
  const [logout] = await Promise.all([
    page.waitForResponse((response) => response.url() === LOGOUT_URL),
    page.click('#sign-out'),
  ]);

  await page.locator('#sign-in').waitFor();
  assert.equal(logout.request().method(), 'POST');
  assert.equal(logout.request().headers()['x-user-id'], MANAGER.userId);
  assert.equal(logout.request().headers()['x-auth-token'], credentials.token);
  // Not its body: Playwright may never get the body of a keepalive request.
  assert.equal(logout.status(), 200);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.locator('#conversations-by-department tbody tr').count(), 0);
  assert.equal(await page.locator('#department-summary').textContent(), '');
  assert.ok(await page.locator('#dashboard').isHidden());

  // The old token is gone from the server too (a 401 comes before the rate limiter).
  const query = new URLSearchParams(lastDays(0));
  const response = await fetch(`${BASE}${REPORTS_PATH}/conversations-by-status?${query}`, {
    headers: { 'X-User-Id': credentials.userId, 'X-Auth-Token': credentials.token },
  });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error, UNAUTHORIZED);
  await page.context().close();
});

// Calls: /api/v1/login 1.
test('a wrong password shows the API message and stores nothing', async () => {
  const { page } = await openPage();
  const login = await signIn(page, { username: MANAGER.username, password: `${PASSWORD}-wrong` });
  assert.equal(login.status(), 401);

  assert.equal(await alertText(page, 'Unauthorized'), 'Unauthorized');
  assert.ok(await page.locator('#password-sign-in').isVisible());
  assert.ok(await page.locator('#dashboard').isHidden());
  assert.ok(await page.locator('#code-field').isHidden());
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.context().close();
});

// Calls: /api/v1/login 3 (no code, a wrong code, the right code), /api/v1/me 1; per report
// route 1.
test('a two-factor user is asked for the code, and a wrong one is refused', async () => {
  const { page } = await openPage();
  const first = await signIn(page, LEAD);
  assert.equal(first.status(), 401);
  assert.equal((await first.json()).error, 'totp-required');
  await page.locator('#code').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'code');
  assert.equal(await page.getByLabel('Two-factor code').count(), 1);
  assert.equal(await page.locator('#error').textContent(), '');

  const wrongCode = wrongLeadCode();
  await page.fill('#code', wrongCode);
  const second = await submitLogin(page);
  assert.deepEqual(second.request().postDataJSON(), {
    user: LEAD.username,
    password: PASSWORD,
    code: wrongCode,
  });
  assert.equal(second.status(), 401);
  assert.equal(await alertText(page, 'TOTP Invalid'), 'TOTP Invalid');
  assert.ok(await page.locator('#code').isVisible(), 'the code field stays');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  await page.fill('#code', await leadCode());
  const third = await submitLogin(page);
  assert.equal(third.status(), 200, await third.text());
  // The lead is a livechat manager: the reports load.
  await reportsReady(page, 'this week');
  assert.ok(await page.locator('#sign-in').isHidden());
  const credentials = await stored(page);
  assert.equal(credentials.userId, LEAD.userId);
  const { status, body } = await me(credentials);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.username, LEAD.username);
  await page.context().close();
});

// No server call: the 429 and the e-mail two-factor answer are played by the test.
test('a rate-limited login and an e-mail two-factor user are explained', async () => {
  const { page } = await openPage();
  const tooMany =
    'Error, too many requests. Please slow down. You must wait 42 seconds before trying this ' +
    'endpoint again. [error-too-many-requests]';
  const answers = [
    { status: 429, body: { success: false, error: tooMany } },
    {
      status: 401,
      body: {
        success: false,
        error: 'totp-required',
        status: 'error',
        details: { method: 'email', availableMethods: ['email'] },
        message: 'TOTP Required',
      },
    },
  ];
  await page.route(LOGIN_URL, (route) => {
    const { status, body } = answers.shift();
    return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
  });

  await signIn(page, MANAGER);
  assert.equal(await alertText(page, 'too many requests'), tooMany);

  await signIn(page, MANAGER);
  assert.match(await alertText(page, 'personal access token'), /codes by email/);
  assert.ok(await page.locator('#code-field').isHidden());
  assert.ok(await page.locator('#user-id').isVisible(), 'the token form is opened');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.context().close();
});

// Calls: /api/v1/me 1; per report route 1. Signing out does not revoke a pasted token: it may be
// a personal access token that other tools use.
test('a pasted personal access token signs in and survives signing out', async () => {
  const { page, errors } = await openPage();
  await signInWithToken(page, MANAGER);
  await reportsReady(page, 'this week');
  assert.deepEqual(await stored(page), {
    userId: MANAGER.userId,
    token: MANAGER.token,
    fromLogin: false,
  });

  const logouts = [];
  page.on('request', (request) => {
    if (request.url() === LOGOUT_URL) logouts.push(request);
  });
  await page.click('#sign-out');
  await page.locator('#sign-in').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.inputValue('#token'), '');
  assert.equal(logouts.length, 0);
  assert.equal((await me(MANAGER)).status, 200);
  assert.deepEqual(errors, []);
  await page.context().close();
});

// A 401 is answered before the rate limiter counts the call.
test('a bad token shows the API 401 message and asks to sign in again', async () => {
  const { page } = await openPage();
  await signInWithToken(page, { userId: MANAGER.userId, token: 'not-the-token' });

  const alert = page.getByRole('alert');
  await alert.filter({ hasText: UNAUTHORIZED }).waitFor();
  assert.equal(await alert.textContent(), UNAUTHORIZED);
  assert.ok(await alert.isVisible());
  assert.ok(await page.locator('#sign-in').isVisible());
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.context().close();
});
