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
import { expectStatus, summaryOutputs } from "./k6_summary.js";

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

const PARAMS = { tags: { name: SEARCH_ROUTE } };

export default function () {
  const iteration = exec.vu.iterationInScenario + exec.vu.idInTest * 7;
  const response = http.get(URLS[iteration % URLS.length], PARAMS);
  check(response, { "status is 200": (r) => expectStatus(r, 200) });
}

export function handleSummary(data) {
  return summaryOutputs(data, {
    scenario: SCENARIO,
    baseUrl: BASE_URL,
    vus: VUS,
    duration: DURATION,
    summaryFile: SUMMARY_FILE,
  });
}
