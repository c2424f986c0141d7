/**
 * `httpRequests1hGroups` as its own dataset: the same exact figures per hour, kept much longer by Cloudflare than
 * minutes (3 days on Free, 90 on Enterprise), so the first run already fills weeks of history for long-range charts.
 */
import { coarserRollup, httpRollupDataset } from "./http-rollup.js";
import { DAY, HOUR } from "../time.js";

export const httpRequestsHourly = httpRollupDataset({
  name: "http_requests_hourly",
  node: "httpRequests1hGroups",
  unit: HOUR,
  timeField: "datetime",
  description: "Exact HTTP totals and breakdowns per zone and hour; the history for long ranges.",
  rollup: coarserRollup("httpRequests1dGroups", DAY, "date"),
});
