/** `httpRequests1mGroups`: Cloudflare's exact per-minute HTTP rollup, the core of the exporter (Pro plan and up). */
import { coarserRollup, httpRollupDataset } from "./http-rollup.js";
import { HOUR, MINUTE } from "../time.js";

export const httpRequests = httpRollupDataset({
  name: "http_requests",
  node: "httpRequests1mGroups",
  unit: MINUTE,
  timeField: "datetime",
  description: "Exact HTTP totals per zone and minute with breakdowns by country, status, content type, browser, TLS and HTTP version, IP class and threat.",
  rollup: coarserRollup("httpRequests1hGroups", HOUR, "datetime"),
});
