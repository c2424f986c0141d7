/** `firewallEventsAdaptiveGroups`: WAF and other security events per minute, the view users miss most (Pro and up). */
import { groupedDataset } from "./grouped.js";

export const firewallEvents = groupedDataset({
  name: "firewall_events",
  node: "firewallEventsAdaptiveGroups",
  scope: "zone",
  description: "Security events (WAF, rate limiting, firewall rules, bot fight) per zone and minute by action, source, rule, host and country; sampled.",
  breakdown: "event",
  dimensions: [
    {
      field: "action",
      as: "cloudflare.firewall.action",
      type: "keyword",
      description: "What the rule did: `block`, `challenge`, `managed_challenge`, `log`, `skip`, ...",
    },
    {
      field: "source",
      as: "cloudflare.firewall.source",
      type: "keyword",
      description: "The product that acted: `waf`, `firewallManaged`, `ratelimit`, `bic`, ...",
    },
    { field: "ruleId", as: "cloudflare.firewall.rule_id", type: "keyword", description: "Id of the rule that matched." },
    {
      field: "description",
      as: "cloudflare.firewall.rule_description",
      type: "keyword",
      description: "The rule's description; absent when the token may not read the zone's rulesets.",
      optional: true,
    },
    { field: "clientRequestHTTPHost", as: "cloudflare.host", type: "keyword", description: "Host name the request asked for." },
    { field: "clientCountryName", as: "cloudflare.country", type: "keyword", description: "Client country, ISO 3166 alpha-2 (`XX` unknown, `T1` Tor)." },
  ],
  metrics: [{ path: "count", as: "cloudflare.events", type: "long", description: "Events (Cloudflare's estimate from the sample).", additive: true }],
  rankBy: "cloudflare.events",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 30,
  countConfidence: true,
});
