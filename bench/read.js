// k6 script of the `read` suite: one scenario per run, chosen by SCENARIO.
//
// Driven by bench/run.py, which passes everything through environment variables:
//   BASE_URL      root URL of the server under test (loopback only), e.g. http://127.0.0.1:8000
//   SCENARIO      cache_hit | cache_miss | create | bare
//   VUS           virtual users, default 32
//   DURATION      k6 duration, default 20s
//   DATA_FILE     JSON written by the runner: {public_ids, private_ids, token, create_body}
//   SUMMARY_FILE  where handleSummary writes the JSON summary the runner reads
//
// Scenarios:
//   cache_hit   GET /v1/api/snippet/{id} of public snippets whose versions are already cached
//   cache_miss  GET /v1/api/snippet/{id} of the owner's private snippets (never cached, always
//               a PostgreSQL read), with the owner's bearer token
//   create      POST /v1/api/snippet/ (bearer), a new public snippet per request
//   bare        GET /v1/api/snippet/{id} on bench/bare_app.py: the floor of FastAPI + uvicorn
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";
import { Counter } from "k6/metrics";

const SCENARIOS = ["cache_hit", "cache_miss", "create", "bare"];
const SCENARIO = __ENV.SCENARIO || "bare";
if (!SCENARIOS.includes(SCENARIO)) {
  throw new Error(`SCENARIO must be one of ${SCENARIOS.join(", ")}, not ${SCENARIO}`);
}
const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
const VUS = parseInt(__ENV.VUS || "32", 10);
const DURATION = __ENV.DURATION || "20s";
const SUMMARY_FILE = __ENV.SUMMARY_FILE || "";
const SNIPPET_PATH = "/v1/api/snippet/";
const READ_ROUTE = "GET /v1/api/snippet/{short_id}";
const CREATE_ROUTE = "POST /v1/api/snippet/";

// open() only works in the init context; every VU parses its own copy (a few KiB).
const DATA = __ENV.DATA_FILE ? JSON.parse(open(__ENV.DATA_FILE)) : {};

function required(name) {
  const value = DATA[name];
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    throw new Error(`scenario ${SCENARIO} needs "${name}" in DATA_FILE`);
  }
  return value;
}

const IDS = (() => {
  if (SCENARIO === "cache_hit") return required("public_ids");
  if (SCENARIO === "cache_miss") return required("private_ids");
  if (SCENARIO === "bare") return DATA.public_ids && DATA.public_ids.length ? DATA.public_ids : ["bare0001"];
  return [];
})();
const AUTH = SCENARIO === "cache_miss" || SCENARIO === "create"
  ? { Authorization: `Bearer ${required("token")}` }
  : {};
const CREATE_BODY = SCENARIO === "create" ? JSON.stringify(required("create_body")) : "";

export const options = {
  scenarios: {
    [SCENARIO]: {
      executor: "constant-vus",
      vus: VUS,
      duration: DURATION,
      gracefulStop: "5s",
    },
  },
  // Bodies are not needed (status checks only); discarding them keeps k6's own CPU use low,
  // which matters when k6 and the server share a small machine.
  discardResponseBodies: true,
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)", "count"],
  thresholds: {
    http_req_failed: ["rate<0.01"],
    checks: ["rate>0.99"],
  },
  noConnectionReuse: false,
  userAgent: "swiftpaste-bench/1",
};

// Unexpected answers by kind, so a failed run says why (429: a rate limit; 5xx: the server).
const STATUS_429 = new Counter("status_429");
const STATUS_5XX = new Counter("status_5xx");
const STATUS_OTHER = new Counter("status_other_unexpected");

function expectStatus(response, expected) {
  if (response.status === expected) return true;
  if (response.status === 429) STATUS_429.add(1);
  else if (response.status >= 500 || response.status === 0) STATUS_5XX.add(1);
  else STATUS_OTHER.add(1);
  return false;
}

const READ_PARAMS = { headers: AUTH, tags: { name: READ_ROUTE } };
const CREATE_PARAMS = {
  headers: Object.assign({ "Content-Type": "application/json" }, AUTH),
  tags: { name: CREATE_ROUTE },
};

export default function () {
  if (SCENARIO === "create") {
    const response = http.post(`${BASE_URL}${SNIPPET_PATH}`, CREATE_BODY, CREATE_PARAMS);
    check(response, { "status is 201": (r) => expectStatus(r, 201) });
    return;
  }
  // Each VU walks the ids from its own offset, so the ids are read evenly.
  const iteration = exec.vu.iterationInScenario + exec.vu.idInTest;
  const id = IDS[iteration % IDS.length];
  const response = http.get(`${BASE_URL}${SNIPPET_PATH}${id}`, READ_PARAMS);
  check(response, { "status is 200": (r) => expectStatus(r, 200) });
}

function metricValues(data, name) {
  const metric = data.metrics[name];
  return metric ? metric.values : {};
}

function thresholdResults(data) {
  const results = {};
  for (const [name, metric] of Object.entries(data.metrics)) {
    if (!metric.thresholds) continue;
    for (const [expression, outcome] of Object.entries(metric.thresholds)) {
      results[`${name}: ${expression}`] = outcome.ok;
    }
  }
  return results;
}

export function handleSummary(data) {
  const reqs = metricValues(data, "http_reqs");
  const duration = metricValues(data, "http_req_duration");
  const failed = metricValues(data, "http_req_failed");
  const checks = metricValues(data, "checks");
  const thresholds = thresholdResults(data);
  const summary = {
    scenario: SCENARIO,
    base_url: BASE_URL,
    vus: VUS,
    duration: DURATION,
    test_run_duration_ms: data.state.testRunDurationMs,
    requests: reqs.count || 0,
    requests_per_second: reqs.rate || 0,
    http_req_duration_ms: {
      avg: duration.avg,
      min: duration.min,
      p50: duration["p(50)"],
      p90: duration["p(90)"],
      p95: duration["p(95)"],
      p99: duration["p(99)"],
      max: duration.max,
    },
    http_req_failed_rate: failed.rate || 0,
    checks_rate: checks.rate === undefined ? null : checks.rate,
    unexpected_status: {
      "429": metricValues(data, "status_429").count || 0,
      "5xx_or_no_answer": metricValues(data, "status_5xx").count || 0,
      other: metricValues(data, "status_other_unexpected").count || 0,
    },
    data_received_bytes: metricValues(data, "data_received").count || 0,
    data_sent_bytes: metricValues(data, "data_sent").count || 0,
    thresholds: thresholds,
    thresholds_ok: Object.values(thresholds).every((ok) => ok),
  };
  const ms = (value) => (value === undefined ? "-" : value.toFixed(2));
  const line =
    `${SCENARIO}: ${summary.requests} requests, ${summary.requests_per_second.toFixed(1)} req/s, ` +
    `p50 ${ms(summary.http_req_duration_ms.p50)} ms, p95 ${ms(summary.http_req_duration_ms.p95)} ms, ` +
    `p99 ${ms(summary.http_req_duration_ms.p99)} ms, failed ${(summary.http_req_failed_rate * 100).toFixed(2)}%, ` +
    `thresholds ${summary.thresholds_ok ? "ok" : "FAILED"}\n`;
  const outputs = { stdout: line };
  if (SUMMARY_FILE) outputs[SUMMARY_FILE] = JSON.stringify(summary, null, 2);
  return outputs;
}
