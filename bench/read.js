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
import { expectStatus, summaryOutputs } from "./k6_summary.js";

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

export function handleSummary(data) {
  return summaryOutputs(data, {
    scenario: SCENARIO,
    baseUrl: BASE_URL,
    vus: VUS,
    duration: DURATION,
    summaryFile: SUMMARY_FILE,
  });
}
