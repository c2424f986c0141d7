/** `httpRequests1dGroups` as its own dataset: exact daily figures, up to a year back on every plan. */
import { httpRollupDataset } from "./http-rollup.js";
import { DAY } from "../time.js";

export const httpRequestsDaily = httpRollupDataset({
  name: "http_requests_daily",
  node: "httpRequests1dGroups",
  unit: DAY,
  timeField: "date",
  description: "Exact HTTP totals and breakdowns per zone and UTC day, up to a year back.",
});
