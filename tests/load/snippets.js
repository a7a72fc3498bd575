// k6 load test of SwiftPaste's read path, with thresholds that fail the run (exit 99).
//
//   just loadtest http://localhost                          # the compose stack, through nginx
//   just loadtest http://127.0.0.1:8000 --env VUS=5 --env DURATION=20s
//
// It reads one public snippet, as JSON and raw, from VUS virtual users (ramped up over
// RAMP, held for DURATION, ramped down over RAMP). SHORT_ID (and VERSION) name an existing
// public snippet; without them, setup() registers an account and creates one (three
// writes). The API rate-limits by client address: a load test from one host needs
// RATE_LIMIT_READ_CAPACITY well above its request count, or it measures the 429s.
import http from 'k6/http';
import { check, fail } from 'k6';
import { Rate } from 'k6/metrics';

const BASE_URL = (__ENV.BASE_URL || 'http://localhost').replace(/\/+$/, '');
const VUS = parseInt(__ENV.VUS || '20', 10);
const RAMP = __ENV.RAMP || '30s';
const DURATION = __ENV.DURATION || '1m';
const P95_MS = __ENV.P95_MS || '250';
const P99_MS = __ENV.P99_MS || '500';

const rateLimited = new Rate('rate_limited');

export const options = {
  scenarios: {
    reads: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: RAMP, target: VUS },
        { duration: DURATION, target: VUS },
        { duration: RAMP, target: 0 },
      ],
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
    checks: ['rate>0.99'],
    rate_limited: ['rate<0.01'],
  },
};

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function expect(response, status, what) {
  if (response.status !== status) {
    fail(`${what}: expected ${status}, got ${response.status}: ${response.body}`);
  }
  return response;
}

export function setup() {
  if (__ENV.SHORT_ID) {
    return { shortId: __ENV.SHORT_ID, version: __ENV.VERSION || '' };
  }
  const username = `load_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
  const password = 'k6 load test password';
  expect(
    http.post(
      `${BASE_URL}/auth/register`,
      JSON.stringify({ email: `${username}@example.com`, username, password }),
      { headers: JSON_HEADERS },
    ),
    201,
    'register',
  );
  const token = expect(
    http.post(`${BASE_URL}/auth/jwt/login`, { username, password }),
    200,
    'log in',
  ).json('access_token');
  const created = expect(
    http.post(
      `${BASE_URL}/v1/api/snippet/`,
      JSON.stringify({
        title: 'k6 load test',
        content: 'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n'.repeat(16),
        language: 'python',
      }),
      { headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}` } },
    ),
    201,
    'create a snippet',
  );
  return { shortId: created.json('short_id'), version: '' };
}

export default function (data) {
  const query = data.version ? `?version=${data.version}` : '';
  const snippet = http.get(`${BASE_URL}/v1/api/snippet/${data.shortId}${query}`, {
    tags: { name: 'GET /v1/api/snippet/{short_id}' },
  });
  const raw = http.get(`${BASE_URL}/v1/api/snippet/${data.shortId}/raw${query}`, {
    tags: { name: 'GET /v1/api/snippet/{short_id}/raw' },
  });
  rateLimited.add(snippet.status === 429);
  rateLimited.add(raw.status === 429);
  check(snippet, {
    'snippet: 200': (r) => r.status === 200,
    'snippet: the one asked for': (r) => r.status === 200 && r.json('short_id') === data.shortId,
    'snippet: has a request id': (r) => Boolean(r.headers['X-Request-Id']),
  });
  check(raw, {
    'raw: 200 text': (r) => r.status === 200 && String(r.headers['Content-Type']).startsWith('text/plain'),
  });
}
