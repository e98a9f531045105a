// The dashboard: signs in with username and password through /api/v1/login (or with a pasted
// user id and token), keeps the credentials in sessionStorage, asks the five reports for the
// chosen period and draws each as a bar chart with its numbers in a table, with its trend (per
// local day up to three months, per ISO week beyond), its change against the previous period,
// and a "Download CSV" of the file Rocket.Chat's Reports page downloads.
'use strict';

const LOGIN_PATH = '/api/v1/login';
const LOGOUT_PATH = '/api/v1/logout';
const REPORTS_PATH = '/api/v1/livechat/analytics/dashboards';
const EXTENSIONS_PATH = '/api/omnireports/v1';
// Daily trends up to three months, weekly beyond.
const DAILY_UP_TO_DAYS = 92;
const REPORTS = [
  'conversations-by-department',
  'conversations-by-source',
  'conversations-by-status',
  'conversations-by-tags',
  'conversations-by-agent',
];
const STORAGE_KEY = 'omnireports.credentials';
const UNAUTHORIZED = 401;

const $ = (id) => document.getElementById(id);
const charts = new Map();
const trends = new Map();
// Each load takes the next number; responses of an older load are dropped.
let generation = 0;

class ReportError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- Credentials -------------------------------------------------------------------------------

function storedCredentials() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY));
  } catch {
    return null;
  }
}

// `fromLogin`: the token was made by this page's sign-in, so signing out may revoke it.
function keepCredentials({ userId, token, fromLogin }) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ userId, token, fromLogin }));
  showErrors([]);
  showDashboard();
  load();
}

function forgetCredentials() {
  sessionStorage.removeItem(STORAGE_KEY);
  generation += 1;
  for (const id of ['password', 'code', 'token']) $(id).value = '';
  hideCode();
  clearReports();
  showSignIn();
}

// Nothing of the previous user's numbers stays in the page.
function clearReports() {
  for (const chart of [...charts.values(), ...trends.values()]) chart.destroy();
  charts.clear();
  trends.clear();
  for (const name of REPORTS) {
    const section = $(name);
    section.querySelector('tbody').replaceChildren();
    section.querySelector('.change').textContent = '';
    for (const key of Object.keys(section.dataset)) delete section.dataset[key];
    section.dataset.state = 'idle';
  }
  $('department-summary').textContent = '';
}

function showSignIn() {
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
}

function showDashboard() {
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
}

// --- Signing in with a password, as Rocket.Chat clients do --------------------------------------

async function signInWithPassword() {
  const body = { user: $('username').value.trim(), password: $('password').value };
  if (!$('code-field').hidden) body.code = $('code').value.trim();
  const button = $('password-sign-in').querySelector('button[type="submit"]');
  // Every attempt counts against the login rate limit: no second one while one is on its way.
  button.disabled = true;
  let response;
  let answer;
  try {
    response = await fetch(LOGIN_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
    });
    answer = await response.json().catch(() => null);
  } catch {
    showErrors(['The server cannot be reached.']);
    return;
  } finally {
    button.disabled = false;
  }
  const data = response.ok && answer && answer.success === true ? answer.data : null;
  if (data && typeof data.userId === 'string' && typeof data.authToken === 'string') {
    $('password').value = '';
    $('code').value = '';
    hideCode();
    keepCredentials({ userId: data.userId, token: data.authToken, fromLogin: true });
    return;
  }
  loginFailed(response.status, answer);
}

function loginFailed(status, body) {
  const error = body && typeof body.error === 'string' ? body.error : '';
  const message = body && typeof body.message === 'string' ? body.message : '';
  if (error === 'totp-required' || error === 'totp-invalid') {
    const method = body.details && body.details.method;
    if (method === 'email') {
      // The page cannot ask for a mailed code; the API accepts a personal access token instead.
      hideCode();
      $('token-sign-in-details').open = true;
      showErrors([
        'This user gets two-factor codes by email, which this page cannot ask for: ' +
          'sign in with a personal access token instead.',
      ]);
      return;
    }
    askCode(error === 'totp-invalid');
    showErrors(error === 'totp-invalid' ? [message || 'TOTP Invalid'] : []);
    return;
  }
  hideCode();
  // 401 bodies carry a `message` ("Unauthorized"); 429 and 400 bodies only an `error`.
  showErrors([message || error || `HTTP ${status}`]);
}

// The code input is disabled while hidden, so the form's `required` skips it until asked.
function askCode(again) {
  $('code-field').hidden = false;
  const code = $('code');
  code.disabled = false;
  if (again) code.select();
  else code.value = '';
  code.focus();
}

function hideCode() {
  $('code-field').hidden = true;
  $('code').disabled = true;
}

// Revokes a token this page's sign-in made. The page has forgotten it already, so a failure
// changes nothing here; keepalive lets the call finish when the tab is closed right after.
function logOut(credentials) {
  try {
    fetch(LOGOUT_PATH, {
      method: 'POST',
      headers: authHeaders(credentials),
      cache: 'no-store',
      keepalive: true,
    }).catch(() => {});
  } catch {
    // Headers a login never returns (not Latin-1): nothing to revoke.
  }
}

// --- Periods: whole local days, as Rocket.Chat's UI sends them ---------------------------------

function addDays(date, days) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

// The same day `months` earlier, or that month's last day (31 March → 30 September).
function subtractMonths(date, months) {
  const first = new Date(date.getFullYear(), date.getMonth() - months, 1);
  const lastDay = new Date(first.getFullYear(), first.getMonth() + 1, 0).getDate();
  return new Date(first.getFullYear(), first.getMonth(), Math.min(date.getDate(), lastDay));
}

// First day at 00:00:00.000 to last day at 23:59:59.999, local time.
function wholeDays(first, last) {
  return {
    start: new Date(first.getFullYear(), first.getMonth(), first.getDate()),
    end: new Date(last.getFullYear(), last.getMonth(), last.getDate(), 23, 59, 59, 999),
  };
}

// First day of each period ending today; six months stay well inside the API's one-year limit.
const PERIOD_START = {
  'this week': (today) => addDays(today, -today.getDay()),
  'last 30 days': (today) => addDays(today, -30),
  'last 6 months': (today) => subtractMonths(today, 6),
};

function isoDate(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function parseIsoDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return match && new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

// The chosen period as {label, start, end}, or null while a custom range is incomplete.
function selectedPeriod() {
  const key = $('period').value;
  if (key !== 'custom') {
    const today = new Date();
    return { label: key, ...wholeDays(PERIOD_START[key](today), today) };
  }
  const first = parseIsoDate($('custom-start').value);
  const last = parseIsoDate($('custom-end').value);
  if (!first || !last) return null;
  return {
    label: `from ${isoDate(first)} to ${isoDate(last)}`,
    ...wholeDays(first, last),
  };
}

function onPeriodChange() {
  const custom = $('period').value === 'custom';
  $('custom-range').hidden = !custom;
  if (custom && !$('custom-start').value && !$('custom-end').value) {
    const today = new Date();
    $('custom-start').value = isoDate(PERIOD_START['last 30 days'](today));
    $('custom-end').value = isoDate(today);
  }
  load();
}

// --- Fetching ----------------------------------------------------------------------------------

function authHeaders(credentials) {
  try {
    return new Headers({ 'X-User-Id': credentials.userId, 'X-Auth-Token': credentials.token });
  } catch {
    // Header values must be Latin-1; fetch would fail with a misleading network error.
    throw new ReportError(UNAUTHORIZED, 'The user id and token must be plain ASCII text.');
  }
}

// `path?query` with the credentials; the response, or a ReportError with the API's message.
async function get(path, query, credentials) {
  const headers = authHeaders(credentials);
  let response;
  try {
    response = await fetch(`${path}?${query}`, { headers, cache: 'no-store' });
  } catch {
    throw new ReportError(0, 'The server cannot be reached.');
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const message = body && typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    throw new ReportError(response.status, message);
  }
  return response;
}

async function fetchJson(path, query, credentials) {
  const response = await get(path, query, credentials);
  const body = await response.json().catch(() => null);
  if (!body || body.success !== true) throw new ReportError(response.status, 'Not a report answer.');
  return body;
}

// The browser's zone: the buckets, the CSV's dates and the offsets are this zone's.
function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function interval(period) {
  const days = (period.end - period.start) / 86_400_000;
  return days <= DAILY_UP_TO_DAYS ? 'day' : 'week';
}

// Loads all five reports for the chosen period; shows each API error message once.
async function load() {
  const credentials = storedCredentials();
  const period = selectedPeriod();
  if (!credentials || !period) return;
  const current = ++generation;
  showErrors([]);
  const query = new URLSearchParams({
    start: period.start.toISOString(),
    end: period.end.toISOString(),
  });
  period.interval = interval(period);
  const outcomes = await Promise.all(
    REPORTS.map((name) => loadReport(name, query, credentials, period, current)),
  );
  if (current !== generation) return;
  const errors = outcomes.filter((outcome) => outcome instanceof ReportError);
  showErrors(errors.map((error) => error.message));
  if (errors.some((error) => error.status === UNAUTHORIZED)) forgetCredentials();
}

// Resolves to the error instead of rejecting, so one failed report doesn't hide the others.
async function loadReport(name, query, credentials, period, current) {
  const section = $(name);
  section.dataset.state = 'loading';
  const zoned = new URLSearchParams(query);
  zoned.set('timezone', timeZone());
  const series = new URLSearchParams(zoned);
  series.set('interval', period.interval);
  try {
    const [body, trend, comparison] = await Promise.all([
      fetchJson(`${REPORTS_PATH}/${name}`, query, credentials),
      fetchJson(`${EXTENSIONS_PATH}/timeseries/${name}`, series, credentials),
      fetchJson(`${EXTENSIONS_PATH}/compare/${name}`, zoned, credentials),
    ]);
    if (current === generation) {
      renderTrend(section, trend);
      renderChange(section, comparison);
      render(section, body, period, query);
    }
    return null;
  } catch (error) {
    if (current === generation) section.dataset.state = 'error';
    return error instanceof ReportError ? error : new ReportError(0, String(error));
  }
}

function showErrors(messages) {
  $('error').textContent = [...new Set(messages)].join(' ');
}

// --- Rendering ---------------------------------------------------------------------------------

function render(section, body, period, query) {
  const rows = Array.isArray(body.data) ? body.data : [];
  renderTable(section, rows);
  renderChart(section, rows);
  if (section.id === 'conversations-by-department') {
    $('department-summary').textContent =
      `${rows.length} departments and ${body.total} conversations, ${period.label}` +
      ` (${body.unspecified} without department)`;
  }
  Object.assign(section.dataset, {
    period: period.label,
    start: query.get('start'),
    end: query.get('end'),
    total: body.total,
    unspecified: body.unspecified ?? '',
    state: 'ready',
  });
}

// The total per bucket as a line; the bucket's local date as its label.
function renderTrend(section, series) {
  const buckets = Array.isArray(series.buckets) ? series.buckets : [];
  section.dataset.interval = series.interval;
  section.dataset.buckets = buckets.length;
  if (typeof Chart === 'undefined') return;
  let chart = trends.get(section.id);
  if (!chart) {
    chart = new Chart(section.querySelector('.trend canvas'), trendConfig());
    trends.set(section.id, chart);
  }
  chart.data.labels = buckets.map((bucket) => String(bucket.start).slice(0, 10));
  chart.data.datasets[0].data = buckets.map((bucket) => bucket.total);
  chart.data.datasets[0].label = `Conversations per ${series.interval}`;
  chart.update();
}

function trendConfig() {
  return {
    type: 'line',
    data: { labels: [], datasets: [{ label: '', data: [], borderColor: '#1d74f5', pointRadius: 0 }] },
    options: {
      maintainAspectRatio: false,
      animation: { duration: 250 },
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  };
}

// "+12.5% against the previous period (40 → 45)".
function renderChange(section, comparison) {
  const now = comparison.current.total;
  const before = comparison.previous.total;
  let change;
  if (before === 0) change = now === 0 ? 'no change' : 'new';
  else {
    const percent = ((now - before) / before) * 100;
    change = `${percent > 0 ? '+' : ''}${percent.toFixed(1)}%`;
  }
  section.querySelector('.change').textContent =
    `${change} against the previous period (${before} → ${now})`;
  Object.assign(section.dataset, { previousTotal: before, currentTotal: now });
}

// The export's file, saved under the name the server gives it (Rocket.Chat's).
async function download(name) {
  const credentials = storedCredentials();
  const period = selectedPeriod();
  if (!credentials || !period) return;
  const query = new URLSearchParams({
    start: period.start.toISOString(),
    end: period.end.toISOString(),
    timezone: timeZone(),
  });
  try {
    const response = await get(`${EXTENSIONS_PATH}/export/${name}.csv`, query, credentials);
    const disposition = response.headers.get('Content-Disposition') || '';
    const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] || `${name}.csv`;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    showErrors([error instanceof ReportError ? error.message : String(error)]);
    if (error instanceof ReportError && error.status === UNAUTHORIZED) forgetCredentials();
  }
}

function renderTable(section, rows) {
  const lines = rows.map(({ label, value }) => {
    const line = document.createElement('tr');
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = label;
    const count = document.createElement('td');
    count.textContent = value;
    line.append(name, count);
    return line;
  });
  section.querySelector('tbody').replaceChildren(...lines);
}

function renderChart(section, rows) {
  // Without the chart library (blocked or failed to load) the table still has the numbers.
  if (typeof Chart === 'undefined') return;
  let chart = charts.get(section.id);
  if (!chart) {
    chart = new Chart(section.querySelector('canvas'), chartConfig());
    charts.set(section.id, chart);
  }
  chart.data.labels = rows.map((row) => row.label);
  chart.data.datasets[0].data = rows.map((row) => row.value);
  chart.update();
}

function chartConfig() {
  return {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Conversations', data: [], backgroundColor: '#1d74f5' }] },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      animation: { duration: 250 },
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  };
}

// --- Wiring ------------------------------------------------------------------------------------

$('password-sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  signInWithPassword();
});

// A code belongs to the account it was asked for.
for (const id of ['username', 'password']) $(id).addEventListener('input', hideCode);

$('token-sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const userId = $('user-id').value.trim();
  const token = $('token').value.trim();
  keepCredentials({ userId, token, fromLogin: false });
});

// A pasted token is not revoked: it may be a personal access token that other tools use.
$('sign-out').addEventListener('click', (event) => {
  event.preventDefault();
  const credentials = storedCredentials();
  showErrors([]);
  forgetCredentials();
  if (credentials && credentials.fromLogin) logOut(credentials);
});

$('period').addEventListener('change', onPeriodChange);
for (const name of REPORTS) {
  $(name).querySelector('.download').addEventListener('click', () => download(name));
}
$('custom-start').addEventListener('change', load);
$('custom-end').addEventListener('change', load);

if (storedCredentials()) {
  showDashboard();
  load();
} else {
  showSignIn();
}
