// k6 script of the `events` suite's lag run: creates at a steady rate, whatever the answers.
//
// Driven by bench/k6.py through environment variables:
//   BASE_URL      root URL of the API under test (loopback only)
//   DURATION      how long to create, e.g. 20s
//   DATA_FILE     JSON written by the runner: {rate, token, title_prefix, snippets: [{language, content}]}
//   SUMMARY_FILE  where handleSummary writes the JSON summary the runner reads
//
// An open model (constant-arrival-rate): a create starts every 1/rate s, whether or not
// the previous ones have been answered, as independent clients would send them. Titles
// are `${title_prefix}${n}`: the runner finds the created snippets by that prefix.
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";
import { SharedArray } from "k6/data";
import { Counter } from "k6/metrics";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
const DURATION = __ENV.DURATION || "20s";
const CREATE_URL = `${BASE_URL}/v1/api/snippet/`;

// The data file is parsed once, not once per VU; a VU reads one snippet per iteration.
const loadData = () => (__ENV.DATA_FILE ? JSON.parse(open(__ENV.DATA_FILE)) : {});
const SNIPPETS = new SharedArray("snippets", () => loadData().snippets || [{ content: "hello" }]);
const DATA = new SharedArray("settings", () => {
  const { snippets, ...settings } = loadData();
  return [settings];
})[0];
const RATE = DATA.rate || 100;
const PARAMS = {
  headers: { Authorization: `Bearer ${DATA.token}`, "Content-Type": "application/json" },
  tags: { name: "POST /v1/api/snippet/" },
};

// Unexpected answers by kind: 429 (a rate limit), 5xx or no answer (the server), other.
const STATUS_429 = new Counter("status_429");
const STATUS_5XX = new Counter("status_5xx");
const STATUS_OTHER = new Counter("status_other_unexpected");

function countUnexpected(status) {
  if (status === 429) STATUS_429.add(1);
  else if (status >= 500 || status === 0) STATUS_5XX.add(1);
  else STATUS_OTHER.add(1);
}

export const options = {
  scenarios: {
    lag: {
      executor: "constant-arrival-rate",
      rate: RATE,
      timeUnit: "1s",
      duration: DURATION,
      preAllocatedVUs: 32,
      maxVUs: 256,
      gracefulStop: "30s",
    },
  },
  discardResponseBodies: true,
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)", "count"],
  thresholds: { http_req_failed: ["rate<0.01"], dropped_iterations: ["count<1"] },
  userAgent: "swiftpaste-bench/1",
};

export default function () {
  const n = exec.scenario.iterationInTest;
  const snippet = SNIPPETS[n % SNIPPETS.length];
  const body = JSON.stringify({
    title: `${DATA.title_prefix}${n}`,
    content: snippet.content,
    language: snippet.language,
  });
  const response = http.post(CREATE_URL, body, PARAMS);
  if (response.status !== 201) countUnexpected(response.status);
  check(response, { "status is 201": (r) => r.status === 201 });
}

export function handleSummary(data) {
  const values = (name) => (data.metrics[name] ? data.metrics[name].values : {});
  const latency = values("http_req_duration");
  const summary = {
    requests: values("http_reqs").count || 0,
    requests_per_second: values("http_reqs").rate || 0,
    http_req_duration_ms: {
      avg: latency.avg,
      p50: latency["p(50)"],
      p90: latency["p(90)"],
      p95: latency["p(95)"],
      p99: latency["p(99)"],
      max: latency.max,
    },
    http_req_failed_rate: values("http_req_failed").rate || 0,
    dropped_iterations: values("dropped_iterations").count || 0,
    unexpected_status: {
      "429": values("status_429").count || 0,
      "5xx_or_no_answer": values("status_5xx").count || 0,
      other: values("status_other_unexpected").count || 0,
    },
  };
  const line =
    `lag: ${summary.requests} creates, p95 ${(latency["p(95)"] || 0).toFixed(2)} ms, ` +
    `failed ${(summary.http_req_failed_rate * 100).toFixed(2)}%, ` +
    `dropped ${summary.dropped_iterations}\n`;
  return { stdout: line, [__ENV.SUMMARY_FILE]: JSON.stringify(summary, null, 2) };
}
