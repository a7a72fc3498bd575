// k6 script of the `search` suite: typical searches, round robin, at constant concurrency.
//
// Driven by bench/suites/search.py through environment variables:
//   BASE_URL      root URL of the API under test (loopback only)
//   SCENARIO      search
//   VUS           virtual users (connections), default 8
//   DURATION      k6 duration, default 20s
//   DATA_FILE     JSON written by the runner: {queries: [...]}
//   SUMMARY_FILE  where handleSummary writes the JSON summary the runner reads
//
// Each VU is one keep-alive connection sending GET /v1/api/snippet/search?query=… one
// request after the other (anonymous: public snippets), walking the query list from its
// own offset so every query is asked about equally often.
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";
import { Counter } from "k6/metrics";

const SCENARIO = __ENV.SCENARIO || "search";
const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
const VUS = parseInt(__ENV.VUS || "8", 10);
const DURATION = __ENV.DURATION || "20s";
const SUMMARY_FILE = __ENV.SUMMARY_FILE || "";
const SEARCH_PATH = "/v1/api/snippet/search";
const SEARCH_ROUTE = "GET /v1/api/snippet/search";

const DATA = __ENV.DATA_FILE ? JSON.parse(open(__ENV.DATA_FILE)) : {};
const QUERIES = DATA.queries || ["fibonacci"];
const URLS = QUERIES.map((q) => `${BASE_URL}${SEARCH_PATH}?query=${encodeURIComponent(q)}`);

export const options = {
  scenarios: {
    [SCENARIO]: {
      executor: "constant-vus",
      vus: VUS,
      duration: DURATION,
      gracefulStop: "5s",
    },
  },
  discardResponseBodies: true,
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)", "count"],
  thresholds: {
    http_req_failed: ["rate<0.01"],
    checks: ["rate>0.99"],
  },
  noConnectionReuse: false,
  userAgent: "swiftpaste-bench/1",
};

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

const PARAMS = { tags: { name: SEARCH_ROUTE } };

export default function () {
  const iteration = exec.vu.iterationInScenario + exec.vu.idInTest * 7;
  const response = http.get(URLS[iteration % URLS.length], PARAMS);
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
    thresholds: thresholds,
    thresholds_ok: Object.values(thresholds).every((ok) => ok),
  };
  const ms = (value) => (value === undefined ? "-" : value.toFixed(2));
  const line =
    `${SCENARIO}: ${summary.requests} requests, ${summary.requests_per_second.toFixed(1)} req/s, ` +
    `p50 ${ms(summary.http_req_duration_ms.p50)} ms, p95 ${ms(summary.http_req_duration_ms.p95)} ms, ` +
    `p99 ${ms(summary.http_req_duration_ms.p99)} ms, failed ${(summary.http_req_failed_rate * 100).toFixed(2)}%\n`;
  const outputs = { stdout: line };
  if (SUMMARY_FILE) outputs[SUMMARY_FILE] = JSON.stringify(summary, null, 2);
  return outputs;
}
