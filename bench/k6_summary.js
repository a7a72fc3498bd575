// What the bench's k6 scripts share: counting unexpected answers by kind (429: a rate
// limit; 5xx or no answer: the server), and the JSON summary the runner
// (bench/harness.py `run_k6`) reads back from SUMMARY_FILE.
import { Counter } from "k6/metrics";

const STATUS_429 = new Counter("status_429");
const STATUS_5XX = new Counter("status_5xx");
const STATUS_OTHER = new Counter("status_other_unexpected");

// Whether the response has the expected status; if not, counts it under its kind.
export function expectStatus(response, expected) {
  if (response.status === expected) return true;
  if (response.status === 429) STATUS_429.add(1);
  else if (response.status >= 500 || response.status === 0) STATUS_5XX.add(1);
  else STATUS_OTHER.add(1);
  return false;
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

// handleSummary's result: one line on stdout and, with a file, the JSON summary.
export function summaryOutputs(data, { scenario, baseUrl, vus, duration, summaryFile }) {
  const reqs = metricValues(data, "http_reqs");
  const latency = metricValues(data, "http_req_duration");
  const failed = metricValues(data, "http_req_failed");
  const checks = metricValues(data, "checks");
  const thresholds = thresholdResults(data);
  const summary = {
    scenario: scenario,
    base_url: baseUrl,
    vus: vus,
    duration: duration,
    test_run_duration_ms: data.state.testRunDurationMs,
    requests: reqs.count || 0,
    requests_per_second: reqs.rate || 0,
    http_req_duration_ms: {
      avg: latency.avg,
      min: latency.min,
      p50: latency["p(50)"],
      p90: latency["p(90)"],
      p95: latency["p(95)"],
      p99: latency["p(99)"],
      max: latency.max,
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
    `${scenario}: ${summary.requests} requests, ${summary.requests_per_second.toFixed(1)} req/s, ` +
    `p50 ${ms(summary.http_req_duration_ms.p50)} ms, p95 ${ms(summary.http_req_duration_ms.p95)} ms, ` +
    `p99 ${ms(summary.http_req_duration_ms.p99)} ms, failed ${(summary.http_req_failed_rate * 100).toFixed(2)}%, ` +
    `thresholds ${summary.thresholds_ok ? "ok" : "FAILED"}\n`;
  const outputs = { stdout: line };
  if (summaryFile) outputs[summaryFile] = JSON.stringify(summary, null, 2);
  return outputs;
}
