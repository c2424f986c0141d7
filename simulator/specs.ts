/**
 * What the adaptive nodes' events look like: per node, how many sampled events a minute has and at which sample
 * interval, and a generator for each dimension and metric. Dimensions without a generator get their type's empty
 * value ("", 0, []), as Cloudflare reports fields that do not apply.
 *
 * Names starting with "_" are hidden helpers (never in the schema) that several fields derive from, so an event's
 * fields agree: one user agent gives the browser, OS, device and bot fields; one firewall rule gives id, source,
 * ruleset, description and action; a cache hit has no origin time.
 */

import { CONTENT_TYPES } from "./cells.js";
import { hashOf, type DimGen, type Ev, type MetricGen, type NodeSpec } from "./events.js";
import type { AdaptiveName } from "./options.js";
import { R2_REGIONS, REGIONS, USER_AGENTS, hex, lognormal, rank, shuffled, uuidOf, weighted, zoneBase, type ZoneBase } from "./vocab.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Daily swing of a rate: 1 ± 0.45 over the UTC day, with a per-tag phase. */
const diurnal = (minuteMs: number, phase: number): number => 1 + 0.45 * Math.sin((2 * Math.PI * (((minuteMs % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS + phase);

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));
const str = (v: unknown): string => v as string;
const num = (v: unknown): number => v as number;

/** A typical moderately busy node: `rate` events a minute on average, 5..60, some minutes without any. */
function busyMinute(rate: number, phase: number, empty: number, intervals: (x: number) => number) {
  return (minuteMs: number, random: () => number) => {
    if (random() < empty) return { n: 0, si: 1 };
    const n = clamp(Math.round(rate * diurnal(minuteMs, phase) * (0.75 + 0.5 * random())), 1, 60);
    return { n, si: intervals(random()) };
  };
}

// =====================================================================================================================
// HTTP requests (httpRequestsAdaptiveGroups and httpRequestsOverviewAdaptiveGroups share these events)
// =====================================================================================================================

interface HttpProfile extends ClientProfile {
  rate: number;
  phase: number;
  sampling: (x: number) => number;
}

const STATIC_TYPES = new Set(["javascript", "css", "png", "jpeg", "webp", "svg", "woff2", "gif"]);
const TYPE_BYTES: Readonly<Record<string, number>> = {
  html: 35_000,
  javascript: 45_000,
  css: 18_000,
  png: 60_000,
  jpeg: 90_000,
  json: 3_000,
  webp: 40_000,
  svg: 6_000,
  woff2: 30_000,
  gif: 20_000,
  empty: 0,
};
const CACHED = new Set(["hit", "stale", "updating", "revalidated"]);
const CHALLENGES = new Set(["challenge", "jschallenge", "managed_challenge"]);

const contentType = weighted(CONTENT_TYPES.map((t, i) => [t, [30, 14, 8, 10, 8, 14, 6, 3, 3, 2, 2][i]!] as const));
const staticCache = weighted([
  ["hit", 72],
  ["miss", 10],
  ["expired", 5],
  ["revalidated", 5],
  ["stale", 2],
  ["updating", 1],
  ["bypass", 3],
  ["dynamic", 2],
]);
const dynamicCache = weighted([
  ["dynamic", 78],
  ["bypass", 8],
  ["hit", 6],
  ["miss", 6],
  ["expired", 2],
]);
const securityAction = weighted([
  ["block", 50],
  ["managed_challenge", 25],
  ["jschallenge", 8],
  ["challenge", 5],
  ["log", 12],
]);
const securitySource = weighted([
  ["firewallManaged", 35],
  ["firewallCustom", 30],
  ["ratelimit", 12],
  ["bic", 8],
  ["securitylevel", 8],
  ["l7ddos", 7],
]);
const statusPlain = weighted([
  [200, 800],
  [304, 40],
  [301, 25],
  [302, 20],
  [404, 50],
  [206, 10],
  [403, 8],
  [401, 5],
  [500, 8],
  [502, 4],
  [503, 4],
  [499, 5],
  [520, 2],
  [429, 3],
]);
const statusCached = weighted([
  [200, 90],
  [304, 7],
  [206, 3],
]);
const requestSource = weighted([
  ["eyeball", 900],
  ["edgeWorkerFetch", 40],
  ["edgeWorkerCacheAPI", 15],
  ["imageResizing", 10],
  ["healthcheck", 10],
  ["edgeWorkerKV", 5],
  ["alwaysOnline", 5],
  ["purge", 5],
  ["earlyHintsCache", 5],
  ["orangeToOrange", 5],
]);
const method = weighted([
  ["GET", 820],
  ["POST", 100],
  ["HEAD", 30],
  ["OPTIONS", 20],
  ["PUT", 15],
  ["DELETE", 10],
  ["PATCH", 5],
]);
const httpVersion = weighted([
  ["HTTP/2", 55],
  ["HTTP/1.1", 25],
  ["HTTP/3", 18],
  ["HTTP/1.0", 2],
]);
const externalReferer = weighted([
  ["www.google.com", 50],
  ["t.co", 8],
  ["www.bing.com", 10],
  ["duckduckgo.com", 6],
  ["www.facebook.com", 10],
  ["news.ycombinator.com", 3],
  ["www.reddit.com", 6],
  ["l.instagram.com", 7],
]);
const botSource = weighted([
  ["Machine Learning", 70],
  ["Heuristics", 20],
  ["JS Fingerprinting", 6],
  ["Not Computed", 4],
]);
const ORIGIN_ASNS: readonly (readonly [number, string])[] = [
  [16509, "AMAZON-02"],
  [15169, "GOOGLE"],
  [14061, "DIGITALOCEAN-ASN"],
  [24940, "HETZNER-AS"],
  [63949, "AKAMAI-LINODE-AP"],
  [8075, "MICROSOFT-CORP-MSN-AS-BLOCK"],
  [16276, "OVH"],
];

function scoreClass(score: number): string {
  return score <= 20 ? "attack" : score <= 50 ? "likely_attack" : score <= 80 ? "likely_clean" : "clean";
}

/** Dimensions that requests and firewall events share (client, request, user agent). */
interface ClientProfile {
  base: ZoneBase;
  nCountries: number;
  nColos: number;
  ja3: string[];
  ja4: string[];
}

/** A Ray ID: 16 hex digits, unique per event. */
const rayName = <P>(e: Ev<P>): string => `${(e.seed >>> 0).toString(16).padStart(8, "0")}${hashOf(`${e.minute}:${e.index}`).toString(16).padStart(8, "0")}`;

function clientDims<P extends ClientProfile>(uaIndex: DimGen<P>): Record<string, DimGen<P>> {
  return {
    _ua: uaIndex,
    clientCountryName: (e) => e.profile.base.countries[rank(e.u(), e.profile.nCountries, 2.5)]!,
    clientRequestHTTPHost: (e) => e.profile.base.hosts[rank(e.u(), e.profile.base.hosts.length, 2.2)]!,
    clientRequestPath: (e) => e.profile.base.paths[rank(e.u(), e.profile.base.paths.length, 1.8)]!,
    clientRequestQuery: (e) => (e.u() < 0.75 ? "" : e.profile.base.queries[rank(e.u(1), e.profile.base.queries.length, 1.5)]!),
    clientRequestHTTPMethodName: (e) => method(e.u()),
    clientRequestScheme: (e) => (e.u() < 0.04 ? "http" : "https"),
    clientRequestHTTPProtocol: (e) => (e.dim("clientRequestScheme") === "http" ? (e.u() < 0.1 ? "HTTP/1.0" : "HTTP/1.1") : httpVersion(e.u())),
    clientIP: (e) => e.profile.base.clientIPs[rank(e.u(), e.profile.base.clientIPs.length, 2.5)]!,
    clientAsn: (e) => e.profile.base.asns[rank(e.u(), e.profile.base.asns.length, 2)]![0],
    clientASNDescription: (e) => e.profile.base.asns.find(([n]) => n === e.dim("clientAsn"))![1],
    clientRefererHost: (e) => {
      const x = e.u();
      if (x < 0.45) return "";
      if (x < 0.75) return e.profile.base.hosts[rank(e.u(1), e.profile.base.hosts.length, 2)]!;
      return externalReferer(e.u(2));
    },
    userAgent: (e) => USER_AGENTS[num(e.dim("_ua"))]!.ua,
    verifiedBotCategory: (e) => USER_AGENTS[num(e.dim("_ua"))]!.bot,
    botScore: (e) => {
      const ua = USER_AGENTS[num(e.dim("_ua"))]!;
      if (ua.bot) return 1;
      if (ua.browser === "Other") return 1 + Math.floor(e.u() * 29);
      return e.u(1) < 0.05 ? 2 + Math.floor(e.u() * 28) : 30 + Math.floor(e.u() * 70);
    },
    botScoreSrcName: (e) => (USER_AGENTS[num(e.dim("_ua"))]!.bot ? "Verified Bot" : botSource(e.u())),
    ja3Hash: (e) => (e.dim("clientRequestScheme") === "http" ? "" : e.profile.ja3[rank(e.u(), e.profile.ja3.length, 2)]!),
    ja4: (e) => (e.dim("clientRequestScheme") === "http" ? "" : e.profile.ja4[rank(e.u(), e.profile.ja4.length, 2)]!),
    rayName,
    wafAttackScore: (e) => wafScore(e, 0),
    wafAttackScoreClass: (e) => scoreClass(num(e.dim("wafAttackScore"))),
    wafRceAttackScore: (e) => wafScore(e, 1),
    wafSqliAttackScore: (e) => wafScore(e, 2),
    wafXssAttackScore: (e) => wafScore(e, 3),
    sampleInterval: (e) => e.si,
  };
}

/** WAF attack scores (1 = attack, 99 = clean): low when a managed or WAF rule acted on the request. */
function wafScore<P>(e: Ev<P>, k: number): number {
  const source = e.dim("securitySource") || e.dim("source");
  const attack = source === "firewallManaged" || source === "waf";
  return attack ? 1 + Math.floor(e.u(k) * 30) : 60 + Math.floor(e.u(k) * 40);
}

const uaPeople = (x: number): number => rank(x, 8, 1.6);

function httpProfile(tag: string, random: () => number): HttpProfile {
  const pool = (n: number): string[] => Array.from({ length: n }, () => hex(random, 32));
  const x = random();
  return {
    base: zoneBase(tag),
    rate: 15 + random() * 30,
    phase: random() * 2 * Math.PI,
    nCountries: 12 + Math.floor(random() * 30),
    nColos: 8 + Math.floor(random() * 30),
    ja3: pool(12),
    ja4: Array.from({ length: 12 }, () => `t13d${1500 + Math.floor(random() * 400)}h2_${hex(random, 12)}_${hex(random, 12)}`),
    // Busy zones are sampled harder (ABR): mostly 10, sometimes 100; quiet ones often unsampled.
    sampling:
      x < 0.3
        ? weighted([
            [1, 6],
            [10, 4],
          ])
        : x < 0.8
          ? weighted([
              [1, 2],
              [10, 6],
              [100, 2],
            ])
          : weighted([
              [10, 5],
              [100, 5],
            ]),
  };
}

const httpDims: Record<string, DimGen<HttpProfile>> = {
  ...clientDims<HttpProfile>((e) => {
    const x = e.u();
    return x < 0.85 ? uaPeople(e.u(1)) : x < 0.92 ? 8 + Math.floor(e.u(2) * 3) : 11 + Math.floor(e.u(3) * 4);
  }),
  _blocked: (e) => (e.dim("securityAction") === "block" || CHALLENGES.has(str(e.dim("securityAction"))) ? 1 : 0),
  _cached: (e) => (CACHED.has(str(e.dim("cacheStatus"))) ? 1 : 0),
  userAgentBrowser: (e) => USER_AGENTS[num(e.dim("_ua"))]!.browser,
  userAgentOS: (e) => USER_AGENTS[num(e.dim("_ua"))]!.os,
  clientDeviceType: (e) => USER_AGENTS[num(e.dim("_ua"))]!.device,
  clientSSLProtocol: (e) => (e.dim("clientRequestScheme") === "http" ? "none" : e.u() < 0.72 ? "TLSv1.3" : "TLSv1.2"),
  clientRequestReferer: (e) => (e.dim("clientRefererHost") === "" ? "" : `https://${str(e.dim("clientRefererHost"))}/`),
  coloCode: (e) => e.profile.base.colos[rank(e.u(), e.profile.nColos, 2.2)]!,
  upperTierColoName: (e) => (e.dim("_cached") === 0 && e.dim("_blocked") === 0 && e.u() < 0.4 ? e.profile.base.colos[rank(e.u(1), 3, 1)]! : ""),
  edgeResponseContentTypeName: (e) => (e.dim("_blocked") === 1 ? "html" : contentType(e.u())),
  securityAction: (e) => (e.u() < 0.03 ? securityAction(e.u(1)) : ""),
  securitySource: (e) => (e.dim("securityAction") === "" ? "" : securitySource(e.u())),
  cacheStatus: (e) => {
    if (e.dim("_blocked") === 1) return "unknown";
    return STATIC_TYPES.has(str(e.dim("edgeResponseContentTypeName"))) ? staticCache(e.u()) : dynamicCache(e.u());
  },
  edgeResponseStatus: (e) => {
    if (e.dim("_blocked") === 1) return e.dim("securityAction") === "block" && e.dim("securitySource") === "ratelimit" ? 429 : 403;
    return e.dim("_cached") === 1 ? statusCached(e.u()) : statusPlain(e.u());
  },
  originResponseStatus: (e) => (e.dim("_cached") === 1 || e.dim("_blocked") === 1 ? 0 : e.dim("edgeResponseStatus")),
  requestSource: (e) => (num(e.dim("_ua")) === 10 ? "eyeball" : requestSource(e.u())),
  isCrossZoneSubrequest: (e) => (e.dim("requestSource") === "edgeWorkerFetch" && e.u() < 0.3 ? 1 : 0),
  edgeDnsResponseTimeMs: (e) => (e.u() < 0.8 ? 0 : 1 + Math.floor(e.u(1) * 30)),
  originResponseDurationMs: (e) => {
    if (e.dim("_cached") === 1 || e.dim("_blocked") === 1) return 0;
    const type = str(e.dim("edgeResponseContentTypeName"));
    const median = type === "html" ? 150 : type === "json" ? 90 : 45;
    return Math.max(1, Math.round(lognormal(e.u(), e.u(1), median, 0.9)));
  },
  edgeTimeToFirstByteMs: (e) => {
    if (e.dim("_blocked") === 1) return 1 + Math.floor(e.u() * 5);
    const origin = num(e.dim("originResponseDurationMs"));
    return Math.min(65_535, origin === 0 ? 2 + Math.floor(lognormal(e.u(), e.u(1), 12, 0.6)) : origin + 5 + Math.floor(e.u(2) * 30));
  },
  originIP: (e) => (e.dim("originResponseStatus") === 0 ? "" : e.profile.base.originIPs[rank(e.u(), e.profile.base.originIPs.length, 1.5)]!),
  originASN: (e) => (e.dim("originIP") === "" ? 0 : ORIGIN_ASNS[hashOf(str(e.dim("originIP"))) % ORIGIN_ASNS.length]![0]),
  originASNDescription: (e) => (e.dim("originIP") === "" ? "" : ORIGIN_ASNS[hashOf(str(e.dim("originIP"))) % ORIGIN_ASNS.length]![1]),
  botScoreBucketBy10: (e) => Math.floor(num(e.dim("botScore")) / 10) * 10,
  botManagementDecision: (e) => {
    if (USER_AGENTS[num(e.dim("_ua"))]!.bot) return "verified_bot";
    return num(e.dim("botScore")) < 30 ? "likely_automated" : "likely_human";
  },
  jsDetectionPassed: (e) => (e.dim("edgeResponseContentTypeName") === "html" ? (e.u() < 0.9 ? "passed" : "failed") : "missing"),
};

/** HTTP numbers per sampled request (sum.x = Σ x × sampleInterval). */
const httpMetrics: Record<string, MetricGen<HttpProfile>> = {
  requests: () => 1,
  edgeResponseBytes: (e) => {
    const status = num(e.dim("edgeResponseStatus"));
    if (status === 200 || status === 206) {
      const median = TYPE_BYTES[str(e.dim("edgeResponseContentTypeName"))] ?? 10_000;
      return 250 + Math.round(lognormal(e.u(), e.u(1), median, 0.7));
    }
    return status === 304 ? 280 + Math.floor(e.u() * 120) : 400 + Math.floor(e.u() * 2500);
  },
  bytes: (e) => e.metric("edgeResponseBytes"),
  edgeRequestBytes: (e) => 300 + Math.floor(lognormal(e.u(), e.u(1), 700, 0.5)),
  visits: (e) =>
    e.dim("requestSource") === "eyeball" &&
    e.dim("edgeResponseContentTypeName") === "html" &&
    e.dim("edgeResponseStatus") === 200 &&
    !str(e.dim("clientRefererHost")).endsWith(e.profile.base.domain)
      ? 1
      : 0,
  pageViews: (e) => (e.dim("edgeResponseContentTypeName") === "html" && e.dim("edgeResponseStatus") === 200 ? 1 : 0),
  crossZoneSubrequests: (e) => num(e.dim("isCrossZoneSubrequest")),
  cachedRequests: (e) => num(e.dim("_cached")),
  cachedBytes: (e) => (e.dim("_cached") === 1 ? e.metric("edgeResponseBytes") : 0),
  encryptedRequests: (e) => (e.dim("clientSSLProtocol") === "none" ? 0 : 1),
  encryptedBytes: (e) => (e.dim("clientSSLProtocol") === "none" ? 0 : e.metric("edgeResponseBytes")),
  status4xx: (e) => (num(e.dim("edgeResponseStatus")) >= 400 && num(e.dim("edgeResponseStatus")) < 500 ? 1 : 0),
  status5xx: (e) => (num(e.dim("edgeResponseStatus")) >= 500 ? 1 : 0),
};

const httpSpec: NodeSpec<HttpProfile> = {
  stream: "http",
  profile: httpProfile,
  minute: (p, minuteMs, random) => busyMinute(p.rate, p.phase, 0.02, p.sampling)(minuteMs, random),
  dims: httpDims,
  metrics: httpMetrics,
};

// =====================================================================================================================
// Firewall events
// =====================================================================================================================

interface Rule {
  id: string;
  source: string;
  rulesetId: string;
  description: string;
  action: string;
}
interface FirewallProfile extends ClientProfile {
  rate: number;
  phase: number;
  rules: Rule[];
}

const MANAGED_TARGETS = [
  "Generic",
  "WordPress",
  "Drupal",
  "Joomla",
  "Apache Struts",
  "Spring",
  "Atlassian Confluence",
  "Microsoft Exchange",
  "PHP",
  "Node.js",
  "Laravel",
  "Magento",
  "Apache Log4j",
  "Citrix",
  "Fortinet",
];
const MANAGED_CATEGORIES = [
  "SQLi",
  "XSS",
  "Command Injection",
  "Code Injection",
  "File Inclusion",
  "SSRF",
  "Information Disclosure",
  "Remote Code Execution",
  "Authentication Bypass",
  "Deserialization",
];
const CUSTOM_RULES = [
  "Block wp-login brute force",
  "Challenge /admin outside the office",
  "Block sanctioned countries",
  "Skip WAF for partner API",
  "Log suspicious user agents",
  "Block empty user agent",
  "Challenge high bot score on checkout",
  "Block known scanners",
  "Allow uptime monitors",
  "Block xmlrpc.php",
  "Challenge TOR exit nodes",
  "Block .env probing",
];
const RATE_LIMITS = ["Login rate limit", "API burst limit", "Search throttle", "Checkout abuse limit"];
const fixedSources: readonly (readonly [string, string, string])[] = [
  ["bic", "Browser Integrity Check", "block"],
  ["securitylevel", "Security Level", "managed_challenge"],
  ["hot", "Hotlink Protection", "block"],
  ["uablock", "User Agent Blocking", "block"],
];
const managedAction = weighted([
  ["block", 60],
  ["log", 20],
  ["managed_challenge", 15],
  ["jschallenge", 5],
]);
const customAction = weighted([
  ["block", 40],
  ["managed_challenge", 30],
  ["skip", 15],
  ["log", 10],
  ["jschallenge", 5],
]);
const rateAction = weighted([
  ["block", 70],
  ["managed_challenge", 20],
  ["log", 10],
]);
const ipClass = weighted([
  ["noRecord", 55],
  ["clean", 10],
  ["badHost", 12],
  ["unknown", 10],
  ["tor", 5],
  ["scan", 4],
  ["searchEngine", 2],
  ["monitoringService", 1],
  ["allowlist", 1],
]);
const firewallPaths = [
  "/wp-login.php",
  "/xmlrpc.php",
  "/.env",
  "/admin",
  "/login",
  "/api/v1/users",
  "/.git/config",
  "/phpmyadmin/",
  "/cgi-bin/luci",
  "/actuator/health",
  "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
];

function firewallProfile(tag: string, random: () => number): FirewallProfile {
  const rules: Rule[] = [];
  const managedSet = hex(random, 32);
  const owaspSet = hex(random, 32);
  const customSet = hex(random, 32);
  const rateSet = hex(random, 32);
  const ddosSet = hex(random, 32);
  // 20..120 rules over time: managed ones (unique "target - category" names), custom, rate limiting, legacy WAF.
  const combos = shuffled(
    MANAGED_TARGETS.flatMap((t) => MANAGED_CATEGORIES.map((c) => `${t} - ${c}`)),
    random,
  );
  const managed = 12 + Math.floor(random() * 70);
  for (let i = 0; i < managed; i++) {
    rules.push({
      id: hex(random, 32),
      source: "firewallManaged",
      rulesetId: random() < 0.8 ? managedSet : owaspSet,
      description: combos[i]!,
      action: managedAction(random()),
    });
  }
  for (const description of shuffled(CUSTOM_RULES, random).slice(0, 3 + Math.floor(random() * 9))) {
    rules.push({ id: hex(random, 32), source: "firewallCustom", rulesetId: customSet, description, action: customAction(random()) });
  }
  for (const description of RATE_LIMITS.slice(0, 1 + Math.floor(random() * RATE_LIMITS.length))) {
    rules.push({ id: hex(random, 32), source: "ratelimit", rulesetId: rateSet, description, action: rateAction(random()) });
  }
  if (random() < 0.3) {
    // zones still on the legacy WAF
    for (let i = 0; i < 5 + Math.floor(random() * 20); i++) {
      rules.push({
        id: String(100_000 + Math.floor(random() * 900_000)),
        source: "waf",
        rulesetId: "",
        description: combos[managed + i] ?? "Generic - SQLi",
        action: random() < 0.7 ? "block" : "log",
      });
    }
  }
  rules.push({ id: hex(random, 32), source: "l7ddos", rulesetId: ddosSet, description: "HTTP DDoS attack protection", action: "block" });
  for (const [source, description, action] of fixedSources) {
    rules.push({ id: hex(random, 32), source, rulesetId: "", description, action });
  }
  const order = shuffled(rules, random); // popularity order: any kind of rule may be the busiest
  const http = httpProfile(tag, random);
  return {
    base: zoneBase(tag),
    rate: 2 + random() * 22,
    phase: random() * 2 * Math.PI,
    nCountries: http.nCountries,
    nColos: http.nColos,
    rules: order,
    ja3: http.ja3,
    ja4: http.ja4,
  };
}

const rule = (e: Ev<FirewallProfile>): Rule => e.profile.rules[num(e.dim("_rule"))]!;

const firewallSpec: NodeSpec<FirewallProfile> = {
  stream: "firewall",
  profile: firewallProfile,
  minute: (p, minuteMs, random) =>
    busyMinute(
      p.rate,
      p.phase,
      0.08,
      weighted([
        [1, 7],
        [10, 3],
      ]),
    )(minuteMs, random),
  dims: {
    ...clientDims<FirewallProfile>((e) => {
      const x = e.u();
      return x < 0.45 ? uaPeople(e.u(1)) : x < 0.5 ? 8 + Math.floor(e.u(2) * 3) : 11 + Math.floor(e.u(3) * 4);
    }),
    _rule: (e) => rank(e.u(), e.profile.rules.length, 2.2),
    ruleId: (e) => rule(e).id,
    source: (e) => rule(e).source,
    rulesetId: (e) => rule(e).rulesetId,
    description: (e) => rule(e).description,
    action: (e) => rule(e).action,
    kind: () => "firewall",
    clientIPClass: (e) => ipClass(e.u()),
    clientRequestPath: (e) =>
      e.u() < 0.6 ? firewallPaths[rank(e.u(1), firewallPaths.length, 1.5)]! : e.profile.base.paths[rank(e.u(2), e.profile.base.paths.length, 1.8)]!,
    clientRefererPath: (e) => (e.dim("clientRefererHost") === "" ? "" : "/"),
    clientRefererScheme: (e) => (e.dim("clientRefererHost") === "" ? "" : "https"),
    edgeColoName: (e) => e.profile.base.colos[rank(e.u(), e.profile.nColos, 2.2)]!,
    edgeResponseStatus: (e) => {
      const action = e.dim("action");
      if (action === "block") return e.dim("source") === "ratelimit" ? 429 : 403;
      if (CHALLENGES.has(str(action))) return 403;
      return e.u() < 0.85 ? 200 : e.u(1) < 0.7 ? 404 : 500;
    },
    originResponseStatus: (e) => (e.dim("action") === "block" || CHALLENGES.has(str(e.dim("action"))) ? 0 : e.dim("edgeResponseStatus")),
  },
  metrics: {},
};

// =====================================================================================================================
// Health checks (sparse: a few checks probed from a few regions; many zones have none)
// =====================================================================================================================

interface HealthCheck {
  id: string;
  name: string;
  fqdn: string;
  originIP: string;
  regions: string[];
  failure: number;
}
interface HealthProfile {
  checks: HealthCheck[];
}

const failureReason = weighted([
  ["TCP connection failed", 30],
  ["Response timeout", 30],
  ["HTTP response code mismatch", 25],
  ["TLS handshake failed", 10],
  ["Response body mismatch", 5],
]);

const healthSpec: NodeSpec<HealthProfile> = {
  stream: "health",
  profile: (tag, random) => {
    const base = zoneBase(tag);
    const count = [0, 0, 1, 1, 2, 3, 4][Math.floor(random() * 7)]!;
    const checks: HealthCheck[] = [];
    for (let i = 0; i < count; i++) {
      const host = i === 0 ? `origin.${base.domain}` : `origin-${i + 1}.${base.domain}`;
      checks.push({
        id: hex(random, 32),
        name: `${["web", "api", "static", "db-proxy"][i]}-health`,
        fqdn: host,
        originIP: base.originIPs[i % base.originIPs.length]!,
        regions: shuffled(REGIONS, random).slice(0, 1 + Math.floor(random() * 3)),
        failure: random() < 0.25 ? 0.2 : 0.02, // a flapping check now and then
      });
    }
    return { checks };
  },
  minute: (p, _minuteMs, random) => {
    // Each check is probed from each of its regions about every other minute.
    const slots: number[] = [];
    p.checks.forEach((c, i) =>
      c.regions.forEach((_, r) => {
        if (random() < 0.55) slots.push(i * 16 + r);
      }),
    );
    return { n: slots.length, si: 1, slots };
  },
  dims: {
    _check: (e) => Math.floor(e.slot / 16),
    healthCheckId: (e) => e.profile.checks[num(e.dim("_check"))]!.id,
    healthCheckName: (e) => e.profile.checks[num(e.dim("_check"))]!.name,
    fqdn: (e) => e.profile.checks[num(e.dim("_check"))]!.fqdn,
    originIP: (e) => e.profile.checks[num(e.dim("_check"))]!.originIP,
    region: (e) => e.profile.checks[num(e.dim("_check"))]!.regions[e.slot % 16]!,
    scope: () => "pool",
    healthStatus: (e) => (e.u() < e.profile.checks[num(e.dim("_check"))]!.failure ? "unhealthy" : "healthy"),
    healthChanged: (e) => (e.dim("healthStatus") === "unhealthy" && e.u() < 0.3 ? 1 : 0),
    failureReason: (e) => (e.dim("healthStatus") === "healthy" ? "" : failureReason(e.u())),
    originResponseStatus: (e) => {
      if (e.dim("healthStatus") === "healthy") return 200;
      return e.dim("failureReason") === "HTTP response code mismatch" ? [500, 502, 503, 404][Math.floor(e.u() * 4)]! : 0;
    },
    tcpConnMs: (e) => (e.dim("failureReason") === "TCP connection failed" ? 0 : 3 + Math.round(lognormal(e.u(), e.u(1), 20, 0.6))),
    tlsHandshakeMs: (e) =>
      num(e.dim("tcpConnMs")) === 0 || e.dim("failureReason") === "TLS handshake failed" ? 0 : 5 + Math.round(lognormal(e.u(), e.u(1), 30, 0.5)),
    timeToFirstByteMs: (e) =>
      num(e.dim("tlsHandshakeMs")) === 0 ? 0 : e.dim("failureReason") === "Response timeout" ? 5000 : 20 + Math.round(lognormal(e.u(), e.u(1), 90, 0.6)),
    rttMs: (e) => num(e.dim("tcpConnMs")) * 2,
    sampleInterval: (e) => e.si,
  },
  metrics: {
    healthStatus: (e) => (e.dim("healthStatus") === "healthy" ? 1 : 0),
  },
};

// =====================================================================================================================
// Load balancing (sparse; sampled at 10, so counts are multiples of 10 as users observe)
// =====================================================================================================================

interface LbPool {
  id: string;
  name: string;
  origins: string[];
  healthy: number;
  rtt: number;
}
interface LoadBalancer {
  name: string;
  policy: string;
  affinity: string;
  pools: LbPool[];
}
interface LbProfile {
  base: ZoneBase;
  lbs: LoadBalancer[];
  rate: number;
  nColos: number;
}

const POLICIES = ["off", "geo", "random", "dynamic_latency", "proximity", "least_outstanding_requests", "least_connections"];
const POOL_NAMES = ["us-east", "us-west", "eu-central", "eu-west", "ap-southeast", "ap-northeast", "sa-east", "backup"];

const lbSpec: NodeSpec<LbProfile> = {
  stream: "lb",
  profile: (tag, random) => {
    const base = zoneBase(tag);
    const count = [0, 0, 0, 1, 1, 2, 3][Math.floor(random() * 7)]!;
    const lbs: LoadBalancer[] = [];
    for (let i = 0; i < count; i++) {
      const pools = shuffled(POOL_NAMES, random)
        .slice(0, 2 + Math.floor(random() * 3))
        .map((name) => ({
          id: hex(random, 32),
          name,
          rtt: 5 + Math.floor(random() * 120),
          healthy: random() < 0.9 ? 1 : 0,
          origins: Array.from({ length: 1 + Math.floor(random() * 4) }, (_, k) => `${name}-origin-${k + 1}`),
        }));
      lbs.push({
        name: i === 0 ? `lb.${base.domain}` : `lb${i + 1}.${base.domain}`,
        policy: POLICIES[Math.floor(random() * POLICIES.length)]!,
        affinity: random() < 0.3 ? "cookie" : "",
        pools,
      });
    }
    return { base, lbs, rate: 1 + random() * 6, nColos: 5 + Math.floor(random() * 20) };
  },
  minute: (p, _minuteMs, random) => (p.lbs.length === 0 || random() < 0.2 ? { n: 0, si: 10 } : { n: 1 + Math.floor(random() * p.rate * 2), si: 10 }),
  dims: {
    _lb: (e) => rank(e.u(), e.profile.lbs.length, 1.5),
    _pool: (e) => rank(e.u(), e.profile.lbs[num(e.dim("_lb"))]!.pools.length, 2),
    lbName: (e) => e.profile.lbs[num(e.dim("_lb"))]!.name,
    steeringPolicy: (e) => e.profile.lbs[num(e.dim("_lb"))]!.policy,
    sessionAffinityEnabled: (e) => e.profile.lbs[num(e.dim("_lb"))]!.affinity,
    sessionAffinityStatus: (e) => (e.dim("sessionAffinityEnabled") === "" ? "none" : e.u() < 0.6 ? "existing" : "new"),
    selectedPoolIndex: (e) => num(e.dim("_pool")),
    selectedPoolId: (e) => lbPool(e).id,
    selectedPoolName: (e) => lbPool(e).name,
    selectedPoolHealthy: (e) => lbPool(e).healthy,
    selectedPoolHealthChecksEnabled: () => 1,
    selectedPoolAvgRttMs: (e) => lbPool(e).rtt,
    selectedOriginIndex: (e) => rank(e.u(), lbPool(e).origins.length, 1.3),
    selectedOriginName: (e) => lbPool(e).origins[num(e.dim("selectedOriginIndex"))]!,
    selectedOriginNames: (e) => e.dim("selectedOriginName"),
    numberOriginsSelected: () => 1,
    multipleOriginsSelected: () => 0,
    proxied: (e) => (e.u() < 0.95 ? 1 : 0),
    region: (e) => REGIONS[rank(e.u(), REGIONS.length, 2)]!,
    coloCode: (e) => e.profile.base.colos[rank(e.u(), e.profile.nColos, 2)]!,
    errorType: (e) => (lbPool(e).healthy === 1 ? "" : e.u() < 0.5 ? "noHealthyPools" : "originUnreachable"),
    sampleInterval: (e) => e.si,
  },
  metrics: {},
};

function lbPool(e: Ev<LbProfile>): LbPool {
  return e.profile.lbs[num(e.dim("_lb"))]!.pools[num(e.dim("_pool"))]!;
}

// =====================================================================================================================
// DNS
// =====================================================================================================================

interface DnsProfile {
  base: ZoneBase;
  names: string[];
  rate: number;
  phase: number;
  nColos: number;
  resolvers: string[];
  nameservers: string[];
}

const queryType = weighted([
  ["A", 45],
  ["AAAA", 25],
  ["HTTPS", 12],
  ["TXT", 5],
  ["CNAME", 4],
  ["MX", 3],
  ["NS", 2],
  ["SOA", 1],
  ["CAA", 1],
  ["SRV", 1],
  ["PTR", 1],
]);
const dnsProtocol = weighted([
  ["UDP", 88],
  ["TCP", 5],
  ["HTTPS", 5],
  ["TLS", 2],
]);

const dnsSpec: NodeSpec<DnsProfile> = {
  stream: "dns",
  profile: (tag, random) => {
    const base = zoneBase(tag);
    const labels = ["", "www.", "api.", "mail.", "_dmarc.", "static.", "cdn.", "autodiscover.", "_acme-challenge.", "m."];
    const names = [...labels.map((l) => `${l}${base.domain}`), ...base.hosts];
    const resolvers = Array.from({ length: 20 + Math.floor(random() * 80) }, () =>
      random() < 0.8
        ? `${[172, 74, 162, 8, 9, 149, 193][Math.floor(random() * 7)]}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`
        : `2001:4860:${hex(random, 4)}::${hex(random, 2)}`,
    );
    const nameservers = ["173.245.58.", "173.245.59.", "108.162.192.", "108.162.193.", "172.64.32.", "172.64.33."].map(
      (p) => `${p}${Math.floor(random() * 250) + 1}`,
    );
    return {
      base,
      names: [...new Set(names)],
      rate: 5 + random() * 30,
      phase: random() * 2 * Math.PI,
      nColos: 8 + Math.floor(random() * 30),
      resolvers,
      nameservers,
    };
  },
  minute: (p, minuteMs, random) =>
    busyMinute(
      p.rate,
      p.phase,
      0.04,
      weighted([
        [1, 6],
        [10, 4],
      ]),
    )(minuteMs, random),
  dims: {
    _nx: (e) => (e.u() < 0.05 ? 1 : 0),
    queryName: (e) =>
      e.dim("_nx") === 1 ? `${(e.seed >>> 0).toString(36)}.${e.profile.base.domain}` : e.profile.names[rank(e.u(), e.profile.names.length, 2)]!,
    queryType: (e) => (str(e.dim("queryName")).startsWith("_") ? "TXT" : queryType(e.u())),
    responseCode: (e) => (e.dim("_nx") === 1 ? "NXDOMAIN" : e.u() < 0.985 ? "NOERROR" : e.u(1) < 0.7 ? "SERVFAIL" : "REFUSED"),
    responseCached: (e) => (e.u() < 0.6 ? 1 : 0),
    responseStale: (e) => (e.u() < 0.005 ? 1 : 0),
    coloName: (e) => e.profile.base.colos[rank(e.u(), e.profile.nColos, 2.2)]!,
    protocol: (e) => dnsProtocol(e.u()),
    ipVersion: (e) => (str(e.dim("sourceIP")).includes(":") ? 6 : 4),
    sourceIP: (e) => e.profile.resolvers[rank(e.u(), e.profile.resolvers.length, 2.5)]!,
    destinationIP: (e) => e.profile.nameservers[Math.floor(e.u() * e.profile.nameservers.length)]!,
    querySizeBucket: (e) => sizeBucket(str(e.dim("queryName")).length + 17 + Math.floor(e.u() * 12)),
    responseSizeBucket: (e) => sizeBucket(str(e.dim("queryName")).length + 40 + Math.floor(e.u() * 200)),
  },
  metrics: {
    processingTimeUs: (e) => Math.round(lognormal(e.u(), e.u(1), e.dim("responseCached") === 1 ? 60 : 400, 0.7)),
  },
};

function sizeBucket(bytes: number): string {
  const lo = Math.floor(bytes / 16) * 16;
  return `${lo}-${lo + 15}`;
}

// =====================================================================================================================
// Workers invocations (account)
// =====================================================================================================================

interface Script {
  name: string;
  tag: string;
  usageModel: string;
  environment: string;
  cpu: number;
  errors: number;
}
interface WorkersProfile {
  scripts: Script[];
  rate: number;
  phase: number;
  colos: string[];
}

const SCRIPT_WORDS = [
  "api",
  "auth",
  "image",
  "edge",
  "router",
  "cache",
  "geo",
  "redirect",
  "proxy",
  "webhook",
  "cron",
  "analytics",
  "feature",
  "ab-test",
  "og-image",
  "sitemap",
  "rate",
  "headers",
  "i18n",
  "search",
];
const SCRIPT_SUFFIX = ["gateway", "worker", "resizer", "handler", "service", "rewriter", "purger", "sync", "flags", "renderer"];
const workerStatus = (errors: number) =>
  weighted([
    ["success", 1 - errors],
    ["clientDisconnected", errors * 0.35],
    ["scriptThrewException", errors * 0.4],
    ["exceededResources", errors * 0.15],
    ["internalError", errors * 0.1],
  ]);

const workersSpec: NodeSpec<WorkersProfile> = {
  stream: "workers",
  profile: (tag, random) => {
    const count = 3 + Math.floor(random() * random() * 58); // 3..60 scripts, most accounts a handful
    const names = new Set<string>();
    while (names.size < count) {
      const name = `${SCRIPT_WORDS[Math.floor(random() * SCRIPT_WORDS.length)]}-${SCRIPT_SUFFIX[Math.floor(random() * SCRIPT_SUFFIX.length)]}`;
      names.add(names.size > 25 ? `${name}-${names.size}` : name);
    }
    const scripts = [...names].map((name) => ({
      name,
      tag: hex(random, 32),
      usageModel: random() < 0.85 ? "standard" : random() < 0.5 ? "bundled" : "unbound",
      environment: random() < 0.3 ? "production" : "",
      cpu: 300 + random() * 8000,
      errors: random() < 0.2 ? 0.08 : 0.01,
    }));
    return { scripts, rate: 5 + random() * 40, phase: random() * 2 * Math.PI, colos: shuffled(zoneBase(`account:${tag}`).colos, random) };
  },
  minute: (p, minuteMs, random) =>
    busyMinute(
      p.rate,
      p.phase,
      0.02,
      weighted([
        [1, 5],
        [10, 4],
        [100, 1],
      ]),
    )(minuteMs, random),
  dims: {
    _script: (e) => rank(e.u(), e.profile.scripts.length, 2.4),
    scriptName: (e) => script(e).name,
    scriptTag: (e) => script(e).tag,
    usageModel: (e) => script(e).usageModel,
    environmentName: (e) => script(e).environment,
    scriptVersion: (e) => uuidOf(hashOf(`${script(e).tag}:${Math.floor(e.minute / (3 * DAY_MS))}`)), // a deploy every 3 days
    dispatchNamespaceName: () => "",
    isDispatcher: () => 0,
    status: (e) => workerStatus(script(e).errors)(e.u()),
    coloCode: (e) => e.profile.colos[rank(e.u(), 25, 2.2)]!,
  },
  metrics: {
    requests: () => 1,
    errors: (e) => (e.dim("status") === "success" || e.dim("status") === "clientDisconnected" ? 0 : 1),
    clientDisconnects: (e) => (e.dim("status") === "clientDisconnected" ? 1 : 0),
    subrequests: (e) => Math.floor(e.u() * e.u(1) * 8),
    cpuTime: (e) => Math.max(50, Math.round(lognormal(e.u(), e.u(1), script(e).cpu, 0.8))),
    cpuTimeUs: (e) => e.metric("cpuTime"),
    wallTime: (e) => e.metric("cpuTime") + Math.round(lognormal(e.u(), e.u(1), 20_000, 1.2) * (e.metric("subrequests") + 0.2)),
    requestDuration: (e) => e.metric("wallTime") + Math.floor(e.u() * 2000),
    duration: (e) => (0.128 * e.metric("wallTime")) / 1e6, // GB-s at 128 MB
    responseBodySize: (e) => Math.round(lognormal(e.u(), e.u(1), 4_000, 1.1)),
  },
};

function script(e: Ev<WorkersProfile>): Script {
  return e.profile.scripts[num(e.dim("_script"))]!;
}

// =====================================================================================================================
// R2 (account): operations and the storage gauge share the account's buckets
// =====================================================================================================================

interface Bucket {
  name: string;
  infrequent: boolean;
  objects: number;
  size0: number;
  growth: number;
  objectPrefix: string;
}
interface R2Profile {
  buckets: Bucket[];
  rate: number;
  phase: number;
}

const BUCKET_WORDS = [
  "assets",
  "backups",
  "user-uploads",
  "logs-archive",
  "media",
  "static-site",
  "exports",
  "avatars",
  "datasets",
  "builds",
  "thumbnails",
  "invoices",
  "videos",
  "snapshots",
  "public",
  "private",
  "ml-models",
  "tiles",
];
const actionType = weighted([
  ["GetObject", 58],
  ["PutObject", 14],
  ["HeadObject", 10],
  ["ListObjects", 5],
  ["DeleteObject", 3],
  ["CreateMultipartUpload", 2],
  ["UploadPart", 4],
  ["CompleteMultipartUpload", 2],
  ["CopyObject", 1],
  ["ListBuckets", 1],
]);
const r2Region = weighted(R2_REGIONS.map((r, i) => [r, [30, 25, 25, 8, 9, 3][i]!] as const));
const R2_EPOCH = Date.parse("2024-01-01T00:00:00Z");

function r2Profile(_tag: string, random: () => number): R2Profile {
  const count = random() < 0.15 ? 0 : 1 + Math.floor(random() * random() * 25);
  const names = shuffled(BUCKET_WORDS, random);
  const buckets = Array.from({ length: count }, (_, i) => ({
    name: `${random() < 0.15 ? "eu_" : ""}${names[i % names.length]}${i >= names.length ? `-${i}` : ""}`,
    infrequent: random() < 0.2,
    objects: 10 + Math.floor(random() * 190),
    size0: Math.floor(random() * 5e11),
    growth: random() * 2e5, // bytes a minute
    objectPrefix: ["images/", "backups/", "", "uploads/", "exports/"][Math.floor(random() * 5)]!,
  }));
  return { buckets, rate: 2 + random() * 25, phase: random() * 2 * Math.PI };
}

const bucket = (e: Ev<R2Profile>): Bucket => e.profile.buckets[num(e.dim("_bucket"))]!;

const r2OpsSpec: NodeSpec<R2Profile> = {
  stream: "r2",
  profile: r2Profile,
  minute: (p, minuteMs, random) =>
    p.buckets.length === 0
      ? { n: 0, si: 1 }
      : busyMinute(
          p.rate,
          p.phase,
          0.05,
          weighted([
            [1, 8],
            [10, 2],
          ]),
        )(minuteMs, random),
  dims: {
    _bucket: (e) => rank(e.u(), e.profile.buckets.length, 2),
    _object: (e) => rank(e.u(), bucket(e).objects, 1.8),
    bucketName: (e) => bucket(e).name,
    actionType: (e) => actionType(e.u()),
    actionStatus: (e) => {
      const x = e.u();
      const userErrors = e.dim("actionType") === "GetObject" || e.dim("actionType") === "HeadObject" ? 0.06 : 0.02;
      return x < userErrors ? "userError" : x < userErrors + 0.004 ? "internalError" : "success";
    },
    responseStatusCode: (e) => {
      const status = e.dim("actionStatus");
      if (status === "internalError") return 500;
      if (status === "userError") return [404, 404, 403, 412, 400][Math.floor(e.u() * 5)]!;
      return e.dim("actionType") === "DeleteObject" ? 204 : 200;
    },
    objectName: (e) =>
      ["ListObjects", "ListBuckets"].includes(str(e.dim("actionType")))
        ? ""
        : `${bucket(e).objectPrefix}${(hashOf(`${bucket(e).name}:${num(e.dim("_object"))}`) % 1e8).toString(36)}.bin`,
    storageClass: (e) => (bucket(e).infrequent && e.u() < 0.3 ? "InfrequentAccess" : "Standard"),
    eyeballRegion: (e) => r2Region(e.u()),
  },
  metrics: {
    requests: () => 1,
    responseObjectSize: (e) => (e.dim("objectName") === "" || e.dim("actionStatus") !== "success" ? 0 : 1_000 + (hashOf(str(e.dim("objectName"))) % 5_000_000)),
    responseBytes: (e) => {
      if (e.dim("actionStatus") !== "success") return 200 + Math.floor(e.u() * 300);
      const action = e.dim("actionType");
      if (action === "GetObject") return e.metric("responseObjectSize");
      if (action === "ListObjects" || action === "ListBuckets") return 1_000 + Math.floor(e.u() * 50_000);
      return action === "HeadObject" ? 0 : 150 + Math.floor(e.u() * 300);
    },
  },
};

/** Storage: per bucket and storage class a slowly growing gauge, reported every minute. */
const r2StorageSpec: NodeSpec<R2Profile> = {
  stream: "r2",
  profile: r2Profile,
  gauge: true,
  minute: (p) => {
    const slots: number[] = [];
    p.buckets.forEach((b, i) => {
      slots.push(i * 2);
      if (b.infrequent) slots.push(i * 2 + 1);
    });
    return { n: slots.length, si: 1, slots };
  },
  dims: {
    _bucket: (e) => e.slot >> 1,
    bucketName: (e) => bucket(e).name,
    storageClass: (e) => ((e.slot & 1) === 1 ? "InfrequentAccess" : "Standard"),
  },
  metrics: {
    _age: (e) => Math.max(0, (e.minute - R2_EPOCH) / MINUTE_MS),
    payloadSize: (e) => {
      const b = bucket(e);
      const share = (e.slot & 1) === 1 ? 0.3 : 1;
      return Math.floor(share * (b.size0 + b.growth * e.metric("_age")));
    },
    objectCount: (e) => Math.floor(e.metric("payloadSize") / 180_000) + 1,
    metadataSize: (e) => e.metric("objectCount") * 320,
    // Multipart uploads in progress: a handful, changing by the hour.
    uploadCount: (e) => hashOf(`${bucket(e).name}:${e.slot}:${Math.floor(e.minute / HOUR_MS)}`) % 6,
  },
};

// =====================================================================================================================
// Logpush health (account; sparse: a job uploads every few minutes)
// =====================================================================================================================

interface LogpushJob {
  id: number;
  destination: string;
  every: number;
  broken: number;
}
interface LogpushProfile {
  jobs: LogpushJob[];
}

const DESTINATIONS = ["s3", "r2", "gcs", "azure", "http", "datadog", "splunk", "sumo"];
const logpushError = weighted([
  ["AccessDenied: the destination refused the credentials", 30],
  ["connection timed out", 30],
  ["destination returned HTTP 503", 25],
  ["NoSuchBucket: the bucket does not exist", 15],
]);

const logpushSpec: NodeSpec<LogpushProfile> = {
  stream: "logpush",
  profile: (_tag, random) => {
    const count = [0, 1, 1, 2, 3, 4][Math.floor(random() * 6)]!;
    return {
      jobs: Array.from({ length: count }, () => ({
        id: 100_000 + Math.floor(random() * 900_000),
        destination: DESTINATIONS[Math.floor(random() * DESTINATIONS.length)]!,
        every: [1, 1, 2, 5][Math.floor(random() * 4)]!,
        broken: random() < 0.25 ? 0.5 : 0.01,
      })),
    };
  },
  minute: (p, minuteMs, random) => {
    const slots: number[] = [];
    const m = Math.floor(minuteMs / MINUTE_MS);
    p.jobs.forEach((job, i) => {
      if (m % job.every !== 0) return;
      const uploads = job.every === 1 && random() < 0.3 ? 2 : 1;
      for (let k = 0; k < uploads; k++) slots.push(i);
    });
    return { n: slots.length, si: 1, slots };
  },
  dims: {
    jobId: (e) => e.profile.jobs[e.slot]!.id,
    destinationType: (e) => e.profile.jobs[e.slot]!.destination,
    // Broken jobs fail for whole hours at a time, so a failure run is visible.
    success: (e) =>
      hashOf(`${e.profile.jobs[e.slot]!.id}:${Math.floor(e.minute / HOUR_MS)}`) / 4_294_967_296 < e.profile.jobs[e.slot]!.broken && e.u() < 0.9 ? 0 : 1,
    error: (e) => (e.dim("success") === 1 ? "" : logpushError(e.u())),
    status: (e) => {
      if (e.dim("success") === 1) return 200;
      const error = str(e.dim("error"));
      return error.startsWith("AccessDenied") ? 403 : error.startsWith("NoSuchBucket") ? 404 : error.includes("503") ? 503 : 0;
    },
    final: (e) => (e.dim("success") === 1 || e.u() < 0.3 ? 1 : 0),
  },
  metrics: {
    uploads: () => 1,
    records: (e) => 100 + Math.floor(lognormal(e.u(), e.u(1), 5_000, 0.9)),
    bytes: (e) => e.metric("records") * (300 + Math.floor(e.u() * 500)),
    bytesCompressed: (e) => Math.floor(e.metric("bytes") * (0.08 + e.u() * 0.1)),
    uploadDuration: (e) => Math.round((0.2 + lognormal(e.u(), e.u(1), 1.2, 0.8)) * 1000) / 1000, // seconds
    timestamp: (e) => e.time,
  },
};

// =====================================================================================================================

/**
 * Any other adaptive node (one added to options.ts without a spec here): a moderately busy stream whose dimensions
 * take a few values each ("<field>-1".."<field>-8", small numbers) and whose metrics are positive numbers, so every
 * field of the node is served with something that groups and adds up.
 */
function genericSpec(node: string): NodeSpec<{ rate: number; phase: number }> {
  return {
    stream: `generic:${node}`,
    profile: (_tag, random) => ({ rate: 3 + random() * 20, phase: random() * 2 * Math.PI }),
    minute: (p, minuteMs, random) =>
      busyMinute(
        p.rate,
        p.phase,
        0.05,
        weighted([
          [1, 7],
          [10, 3],
        ]),
      )(minuteMs, random),
    dims: { sampleInterval: (e) => e.si },
    metrics: {},
    otherDim: (e, name, empty) => {
      if (Array.isArray(empty)) return [];
      const k = rank(e.u(), 8, 2);
      return typeof empty === "number" ? k : `${name}-${k + 1}`;
    },
    otherMetric: (e) => Math.round(lognormal(e.u(), e.u(1), 200, 0.8)),
  };
}

/**
 * A spec of some node, whatever its profile type: the profile is opaque outside its own spec. NodeSpec<unknown> cannot
 * hold them (the generators take an Ev<P>, so P is a parameter type), hence an existential spelled `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the existential above; no `any` value leaves a spec
type SomeSpec = NodeSpec<any>;

const generic = new Map<string, SomeSpec>();

/** A node's spec: its own, or the generic one. */
export function specOf(node: string): SomeSpec {
  const own = (SPECS as Readonly<Record<string, SomeSpec | undefined>>)[node];
  if (own) return own;
  let spec = generic.get(node);
  if (!spec) generic.set(node, (spec = genericSpec(node)));
  return spec;
}

/** Every adaptive node's events. */
const SPECS: Readonly<Partial<Record<AdaptiveName, SomeSpec>>> = {
  httpRequestsAdaptiveGroups: httpSpec,
  httpRequestsOverviewAdaptiveGroups: httpSpec,
  firewallEventsAdaptiveGroups: firewallSpec,
  healthCheckEventsAdaptiveGroups: healthSpec,
  loadBalancingRequestsAdaptiveGroups: lbSpec,
  dnsAnalyticsAdaptiveGroups: dnsSpec,
  workersInvocationsAdaptive: workersSpec,
  r2OperationsAdaptiveGroups: r2OpsSpec,
  r2StorageAdaptiveGroups: r2StorageSpec,
  logpushHealthAdaptiveGroups: logpushSpec,
};

/**
 * Averages that leave out events whose value is 0 (Cloudflare's schema says so of originResponseDurationMs: "excluding
 * 0 values (i.e. cached ones)").
 */
export const AVG_EXCLUDES_ZERO: ReadonlySet<string> = new Set(["originResponseDurationMs"]);

/**
 * Ratio denominators: `ratio.cachedBytes` is cached bytes over all bytes; any other ratio (`status4xx`,
 * `cachedRequests`, `encryptedRequests`) is a share of the count.
 */
export function ratioDenominator(field: string): string | undefined {
  return field.endsWith("Bytes") ? "bytes" : undefined;
}
