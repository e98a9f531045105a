// Rocket.Chat's own npm clients, unchanged, against a running omnireports with demo data:
// @rocket.chat/api-client (the REST client of Rocket.Chat's web app) and the REST `api` module of
// @rocket.chat/sdk 0.2.9 (bots). Every answer a client gets is compared with what a plain fetch
// gets for the same request, so nothing here depends on the demo's numbers.
// Env: OMNIREPORTS_URL, DEMO_MANAGER_USERNAME, DEMO_PASSWORD, DEMO_MANAGER_ID; scripts/clients-test.sh
// sets them up. Rate limits (10 calls per 60 s per client and route, login included): this file
// logs in 4 times and calls no report more than 6 times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { RestClient } from '@rocket.chat/api-client';

const BASE = env('OMNIREPORTS_URL').replace(/\/$/, '');
const USERNAME = env('DEMO_MANAGER_USERNAME');
const PASSWORD = env('DEMO_PASSWORD');
const USER_ID = env('DEMO_MANAGER_ID');
const REPORTS_PATH = 'livechat/analytics/dashboards';
const REPORTS = ['department', 'source', 'status', 'tags', 'agent'];
// The reports that read `sort` (docs/reports.md); `total` is a key each of them accepts, and
// descending is not their default order.
const SORTED_REPORTS = ['department', 'tags', 'agent'];
const SORT = JSON.stringify({ total: -1 });
const UNAUTHORIZED_LOGIN = {
  success: false,
  error: 'Unauthorized',
  status: 'error',
  message: 'Unauthorized',
};
const NOT_LOGGED_IN = 'You must be logged in to do this.';
const NOT_LOGGED_IN_BODY = {
  success: false,
  error: NOT_LOGGED_IN,
  status: 'error',
  message: NOT_LOGGED_IN,
};

// The last 30 days, as Rocket.Chat's dashboard sends them.
const END = new Date();
const START = new Date(END.getTime() - 30 * 24 * 3600 * 1000);
const RANGE = { start: START.toISOString(), end: END.toISOString() };

// The sdk reads its host once, when it is loaded, from ROCKETCHAT_URL (dist/lib/settings.js) and
// makes `api.url` = host + '/api/v1/' of it (dist/lib/api.js): set it before the require.
process.env.ROCKETCHAT_URL = BASE;
const sdk = createRequire(import.meta.url)('@rocket.chat/sdk');
// The sdk catches every failed request, logs it and resolves to undefined: keep what it logs as
// an error, which says why, and drop its chatter (it logs whole login answers).
const sdkErrors = [];
const record = (...args) => sdkErrors.push(args.map(String).join(' '));
sdk.driver.useLog({ debug() {}, info() {}, warn: record, warning: record, error: record });

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (scripts/clients-test.sh sets it)`);
  return value;
}

function authHeaders({ userId, authToken }) {
  return { 'X-User-Id': userId, 'X-Auth-Token': authToken };
}

// GET with the query keys in the order given (the api-client sorts them alphabetically).
async function plainGet(path, params, headers) {
  const url = new URL(`${BASE}/api/v1/${path}`);
  for (const [key, value] of Object.entries(params ?? {})) url.searchParams.set(key, value);
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.json() };
}

// `me` may show of `services` only whether a password exists and whether TOTP is on.
function assertNoSecrets(me) {
  const allowed = { password: ['exists'], totp: ['enabled'] };
  for (const [service, fields] of Object.entries(me.services ?? {})) {
    assert.ok(service in allowed, `me.services.${service} must not be shown`);
    for (const field of Object.keys(fields)) {
      assert.ok(allowed[service].includes(field), `me.services.${service}.${field} must not be shown`);
    }
  }
}

test('@rocket.chat/api-client: login, every report, me', async () => {
  // The client appends '/api' to baseUrl itself (RestClient's constructor): the origin it is.
  const client = new RestClient({ baseUrl: BASE });

  // Any non-2xx but 400 rejects with the fetch Response itself (send() in dist/index.js).
  const rejection = await client.post('/v1/login', { user: USERNAME, password: `${PASSWORD}-wrong` }).then(
    (answer) => assert.fail(`a wrong password was accepted: ${JSON.stringify(answer)}`),
    (error) => error,
  );
  assert.ok(rejection instanceof Response, `rejected with ${rejection}`);
  assert.equal(rejection.status, 401);
  assert.deepEqual(await rejection.json(), UNAUTHORIZED_LOGIN);

  const login = await client.post('/v1/login', { user: USERNAME, password: PASSWORD });
  assert.equal(login.status, 'success');
  assert.equal(login.success, true);
  const { data } = login;
  assert.equal(data.userId, USER_ID);
  assert.equal(typeof data.authToken, 'string');
  assert.equal(data.me.username, USERNAME);
  assertNoSecrets(data.me);
  client.setCredentials(authHeaders(data));
  const headers = authHeaders(data);

  const cases = [
    ...REPORTS.map((name) => ({ name, params: RANGE })),
    ...SORTED_REPORTS.map((name) => ({ name, params: { ...RANGE, sort: SORT } })),
  ];
  for (const { name, params } of cases) {
    const path = `${REPORTS_PATH}/conversations-by-${name}`;
    const answer = await client.get(`/v1/${path}`, params);
    const expected = await plainGet(path, params, headers);
    assert.equal(expected.status, 200, `${path} ${JSON.stringify(expected.body)}`);
    assert.ok(expected.body.data.length > 0, `${path}: the demo data has conversations in range`);
    assert.deepEqual(answer, expected.body, `${path} ${JSON.stringify(params)}`);
  }

  const me = await client.get('/v1/me');
  const expectedMe = await plainGet('me', {}, headers);
  assert.equal(expectedMe.status, 200);
  assert.deepEqual(me, expectedMe.body);
  assert.equal(me.success, true);
  assert.equal(me.username, USERNAME);
  assert.equal(me._id, data.userId);
  assertNoSecrets(me);
});

test('@rocket.chat/sdk 0.2.9 api: login, a report, me; logout (GET) revokes only its own token', async () => {
  const { api } = sdk;
  assert.equal(api.url, `${BASE}/api/v1/`);

  const login = await api.login({ username: USERNAME, password: PASSWORD });
  assert.deepEqual(sdkErrors, []);
  assert.equal(login.status, 'success');
  assert.equal(login.data.userId, USER_ID);
  assertNoSecrets(login.data.me);
  const session = { userId: api.currentLogin.userId, authToken: api.currentLogin.authToken };
  const headers = authHeaders(session);

  const path = `${REPORTS_PATH}/conversations-by-department`;
  const report = await api.get(path, RANGE);
  assert.deepEqual(sdkErrors, []);
  const expected = await plainGet(path, RANGE, headers);
  assert.equal(expected.status, 200, JSON.stringify(expected.body));
  assert.deepEqual(report, expected.body);

  const me = await api.get('me');
  assert.deepEqual(sdkErrors, []);
  const expectedMe = await plainGet('me', {}, headers);
  assert.equal(expectedMe.status, 200);
  assert.deepEqual(me, expectedMe.body);
  assert.equal(me.username, USERNAME);
  assertNoSecrets(me);

  // A second session of the same user, which the sdk's logout must leave alone.
  const response = await fetch(`${BASE}/api/v1/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: USERNAME, password: PASSWORD }),
  });
  const other = await response.json();
  assert.equal(response.status, 200, JSON.stringify(other));
  assert.notEqual(other.data.authToken, session.authToken);

  await api.logout();
  assert.deepEqual(sdkErrors, []);
  assert.equal(api.loggedIn(), false);

  // by-status, not by-department: it keeps each route under its rate limit.
  const statusPath = `${REPORTS_PATH}/conversations-by-status`;
  const revoked = await plainGet(statusPath, RANGE, headers);
  assert.equal(revoked.status, 401, `the token after the sdk's logout: ${JSON.stringify(revoked.body)}`);
  assert.deepEqual(revoked.body, NOT_LOGGED_IN_BODY);
  const kept = await plainGet(statusPath, RANGE, authHeaders(other.data));
  assert.equal(kept.status, 200, JSON.stringify(kept.body));
  assert.equal(kept.body.success, true);
});
