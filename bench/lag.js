// k6 script of the `events` suite's lag run: creates at a steady rate, whatever the answers.
//
// Driven by bench/suites/events.py through environment variables:
//   BASE_URL      root URL of the API under test (loopback only)
//   SCENARIO      lag
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
import { expectStatus, summaryOutputs } from "./k6_summary.js";

const SCENARIO = __ENV.SCENARIO || "lag";
const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
const DURATION = __ENV.DURATION || "20s";
const SUMMARY_FILE = __ENV.SUMMARY_FILE || "";
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

export const options = {
  scenarios: {
    [SCENARIO]: {
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
  check(response, { "status is 201": (r) => expectStatus(r, 201) });
}

export function handleSummary(data) {
  return summaryOutputs(data, {
    scenario: SCENARIO,
    baseUrl: BASE_URL,
    vus: null,
    duration: DURATION,
    summaryFile: SUMMARY_FILE,
  });
}
