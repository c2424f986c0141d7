/** `firewallEventsAdaptiveGroups`: WAF and other security events per minute, the view users miss most (Pro and up). */
import { dimension } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, country, events, host } from "./shared-fields.js";

export const firewallEvents = groupedDataset({
  name: "firewall_events",
  node: "firewallEventsAdaptiveGroups",
  scope: "zone",
  description: "Security events (WAF, rate limiting, firewall rules, bot fight) per zone and minute by action, source, rule, host and country; sampled.",
  breakdown: "event",
  dimensions: [
    {
      field: "action",
      stored: asIs(dimension("cloudflare.firewall.action", "keyword", "What the rule did: `block`, `challenge`, `managed_challenge`, `log`, `skip`, ...")),
    },
    {
      field: "source",
      stored: asIs(dimension("cloudflare.firewall.source", "keyword", "The product that acted: `waf`, `firewallManaged`, `ratelimit`, `bic`, ...")),
    },
    { field: "ruleId", stored: asIs(dimension("rule.id", "keyword", "ECS: the id of the rule that matched.")) },
    {
      field: "description",
      stored: asIs(dimension("rule.description", "keyword", "ECS: the rule's description; absent when the token may not read the zone's rulesets.")),
      optional: true,
    },
    { field: "clientRequestHTTPHost", stored: host },
    { field: "clientCountryName", stored: country },
  ],
  metrics: [{ path: "count", metric: events }],
  rankBy: events,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 30,
  countConfidence: true,
});
