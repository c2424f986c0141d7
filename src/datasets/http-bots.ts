/**
 * `httpRequestsAdaptiveGroups` of end users by Bot Management's decision, verified bot category and host: how much of
 * the traffic is automated, and which good bots come. Needs Bot Management (an Enterprise add-on); elsewhere off,
 * with the reason. Off unless named.
 */
import { groupedDataset } from "./grouped.js";
import { EYEBALL } from "./http-eyeball.js";
import { botDecision, bytes, host, requests, verifiedBotCategory } from "./shared-fields.js";

export const httpBots = groupedDataset({
  name: "http_bots",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests and bytes per zone and minute by bot management decision, verified bot category and host; sampled, Bot Management.",
  breakdown: "bot_host",
  filter: EYEBALL,
  dimensions: [
    { field: "botManagementDecision", stored: botDecision },
    { field: "verifiedBotCategory", stored: verifiedBotCategory },
    { field: "clientRequestHTTPHost", stored: host },
  ],
  metrics: [
    { path: "count", metric: requests },
    { path: "sum.edgeResponseBytes", metric: bytes },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 20,
  countConfidence: true,
  optIn: true,
});
