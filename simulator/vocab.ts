/**
 * Vocabularies of the adaptive nodes' dimensions (values as Cloudflare reports them) and the per-tag pools drawn from
 * them: a zone's hosts, paths, client IPs, colos; an account's scripts and buckets. Pools are seeded by the tag only,
 * so a zone's hosts are the same in every node.
 */

import { COUNTRIES } from "./cells.js";
import { hashOf, seeded } from "./events.js";

/** Cloudflare data centers (IATA codes, as `coloCode` / `edgeColoName` / `coloName` report them). */
const COLOS = [
  "FRA",
  "AMS",
  "LHR",
  "CDG",
  "IAD",
  "EWR",
  "ORD",
  "DFW",
  "LAX",
  "SJC",
  "SEA",
  "ATL",
  "MIA",
  "NRT",
  "HKG",
  "SIN",
  "SYD",
  "GRU",
  "BOM",
  "DEL",
  "YYZ",
  "MAD",
  "MXP",
  "WAW",
  "ARN",
  "CPH",
  "VIE",
  "ZRH",
  "DUB",
  "PRG",
  "OTP",
  "BUD",
  "IST",
  "TLV",
  "JNB",
  "KIX",
  "ICN",
  "TPE",
  "MNL",
  "BKK",
  "KUL",
  "CGK",
  "AKL",
  "MEL",
  "SCL",
  "BOG",
  "EZE",
  "LIM",
  "QRO",
  "DEN",
  "PHX",
  "MSP",
  "BOS",
  "YVR",
  "YUL",
  "HAM",
  "DUS",
  "MUC",
  "MRS",
  "LIS",
  "OSL",
  "HEL",
  "ATH",
  "SOF",
  "BEG",
  "KBP",
  "DXB",
  "DOH",
] as const;

/** Load balancer and health check regions. */
export const REGIONS = ["WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS"] as const;

/** R2 eyeball regions. */
export const R2_REGIONS = ["WNAM", "ENAM", "WEUR", "EEUR", "APAC", "OC"] as const;

/** Autonomous systems of clients: number and name. */
const ASNS: readonly (readonly [string, string])[] = [
  ["7922", "COMCAST-7922"],
  ["3320", "DTAG Internet service provider operations"],
  ["701", "UUNET"],
  ["15169", "GOOGLE"],
  ["16509", "AMAZON-02"],
  ["8075", "MICROSOFT-CORP-MSN-AS-BLOCK"],
  ["3215", "Orange"],
  ["2856", "BT-UK-AS BTnet UK Regional network"],
  ["7018", "ATT-INTERNET4"],
  ["20115", "CHARTER-20115"],
  ["4134", "CHINANET-BACKBONE"],
  ["9808", "CHINAMOBILE-CN"],
  ["12322", "PROXAD Free SAS"],
  ["3352", "TELEFONICA_DE_ESPANA"],
  ["6830", "LIBERTYGLOBAL"],
  ["14061", "DIGITALOCEAN-ASN"],
  ["24940", "HETZNER-AS"],
  ["16276", "OVH"],
  ["13335", "CLOUDFLARENET"],
  ["9009", "M247"],
  ["4766", "KIXS-AS-KR Korea Telecom"],
  ["17676", "GIGAINFRA SoftBank Corp."],
  ["55836", "RELIANCEJIO-IN"],
  ["28573", "Claro NXT Telecomunicacoes Ltda"],
  ["1136", "KPN"],
  ["5089", "NTL"],
  ["3269", "ASN-IBSNAZ"],
  ["812", "ROGERS-COMMUNICATIONS"],
];

export interface UserAgent {
  ua: string;
  browser: string;
  os: string;
  device: string;
  /** Verified bot category, "" for people. */
  bot: string;
}

export const USER_AGENTS: readonly UserAgent[] = [
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    browser: "Chrome",
    os: "Windows",
    device: "desktop",
    bot: "",
  },
  {
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    browser: "MobileSafari",
    os: "iOS",
    device: "mobile",
    bot: "",
  },
  {
    ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    browser: "ChromeMobile",
    os: "Android",
    device: "mobile",
    bot: "",
  },
  {
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    browser: "Safari",
    os: "MacOSX",
    device: "desktop",
    bot: "",
  },
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    browser: "Edge",
    os: "Windows",
    device: "desktop",
    bot: "",
  },
  { ua: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", browser: "Firefox", os: "Linux", device: "desktop", bot: "" },
  {
    ua: "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    browser: "MobileSafari",
    os: "iOS",
    device: "tablet",
    bot: "",
  },
  {
    ua: "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    browser: "SamsungInternet",
    os: "Android",
    device: "mobile",
    bot: "",
  },
  {
    ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    browser: "Googlebot",
    os: "Other",
    device: "desktop",
    bot: "Search Engine Crawler",
  },
  {
    ua: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    browser: "Bingbot",
    os: "Other",
    device: "desktop",
    bot: "Search Engine Crawler",
  },
  { ua: "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", browser: "PingdomBot", os: "Other", device: "desktop", bot: "Monitoring & Analytics" },
  { ua: "curl/8.5.0", browser: "Other", os: "Other", device: "desktop", bot: "" },
  { ua: "python-requests/2.31.0", browser: "Other", os: "Other", device: "desktop", bot: "" },
  { ua: "Go-http-client/1.1", browser: "Other", os: "Other", device: "desktop", bot: "" },
  { ua: "", browser: "Other", os: "Other", device: "desktop", bot: "" },
];

const SUBDOMAINS = [
  "shop",
  "cdn",
  "img",
  "m",
  "app",
  "blog",
  "docs",
  "status",
  "auth",
  "assets",
  "media",
  "admin",
  "portal",
  "dev",
  "staging",
  "beta",
  "help",
  "support",
  "mail",
  "news",
  "files",
  "download",
  "video",
  "store",
  "partners",
  "careers",
  "events",
  "community",
  "forum",
  "wiki",
  "login",
  "pay",
  "checkout",
  "search",
  "maps",
  "ads",
  "analytics",
  "cms",
];
const DOMAIN_WORDS = [
  "acme",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "stark",
  "wayne",
  "wonka",
  "tyrell",
  "cyberdyne",
  "soylent",
  "vandelay",
  "aperture",
  "oceanic",
  "dunder",
  "massive",
];
const PATH_STEMS = [
  "/",
  "/index.html",
  "/login",
  "/logout",
  "/cart",
  "/checkout",
  "/search",
  "/about",
  "/contact",
  "/favicon.ico",
  "/robots.txt",
  "/sitemap.xml",
  "/wp-login.php",
  "/xmlrpc.php",
  "/.env",
  "/admin",
  "/api/v1/users",
  "/api/v1/orders",
  "/api/v1/products",
  "/api/v2/search",
  "/graphql",
  "/static/app.js",
  "/static/app.css",
  "/static/vendor.js",
  "/images/logo.png",
  "/images/hero.webp",
  "/fonts/inter.woff2",
  "/health",
  "/feed.xml",
];
const QUERIES = ["?q=shoes", "?page=2", "?id=1042", "?utm_source=newsletter", "?lang=de", "?sort=price", "?ref=home"];

export const hex = (random: () => number, length: number): string => {
  let s = "";
  for (let i = 0; i < length; i++) s += Math.floor(random() * 16).toString(16);
  return s;
};

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const ipv4 = (random: () => number): string => {
  const first = [24, 31, 45, 62, 73, 81, 89, 93, 98, 103, 109, 151, 176, 185, 188, 195, 203, 212, 217][Math.floor(random() * 19)]!;
  return `${first}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
};
const ipv6 = (random: () => number): string => `2a02:${hex(random, 4)}:${hex(random, 4)}:${hex(random, 3)}::${hex(random, 2)}`;

/** What every node of a zone shares: its domain, hosts, paths, clients and where they come from. */
export interface ZoneBase {
  domain: string;
  hosts: string[];
  paths: string[];
  queries: string[];
  clientIPs: string[];
  countries: string[];
  colos: string[];
  asns: (readonly [string, string])[];
  originIPs: string[];
}

const bases = new Map<string, ZoneBase>();

export function zoneBase(tag: string): ZoneBase {
  let b = bases.get(tag);
  if (b) return b;
  const random = seeded(hashOf(`zone:${tag}`));
  const domain = `${DOMAIN_WORDS[Math.floor(random() * DOMAIN_WORDS.length)]}-${tag.slice(0, 4)}.example`;
  // www, api and static always; up to 40 more (20-200 distinct hosts over time across a few zones).
  const extra = shuffled(SUBDOMAINS, random).slice(0, Math.floor(random() * 41));
  const hosts = ["www", "api", "static", ...extra].map((s) => `${s}.${domain}`);
  hosts.splice(1, 0, domain); // the apex, second most popular
  const paths = [...PATH_STEMS];
  const products = 20 + Math.floor(random() * 80);
  for (let i = 0; i < products; i++) paths.push(`/products/${1000 + Math.floor(random() * 9000)}`);
  const clientIPs: string[] = [];
  const ipCount = 60 + Math.floor(random() * 150);
  for (let i = 0; i < ipCount; i++) clientIPs.push(random() < 0.8 ? ipv4(random) : ipv6(random));
  const originIPs: string[] = [];
  const origins = 1 + Math.floor(random() * 4);
  for (let i = 0; i < origins; i++)
    originIPs.push(
      `${[34, 35, 52, 54, 104, 138, 159, 167][Math.floor(random() * 8)]}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`,
    );
  b = {
    domain,
    hosts,
    paths,
    queries: QUERIES,
    clientIPs,
    originIPs,
    countries: shuffled(COUNTRIES, random),
    colos: shuffled(COLOS, random),
    asns: shuffled(ASNS, random),
  };
  // Paths with ids, as real APIs and stores have them (order UUIDs, 24-hex object ids, numbers): many one-off paths of
  // a few patterns. Drawn last, so that everything else of a zone stays what it was.
  const orders = 10 + Math.floor(random() * 30);
  for (let i = 0; i < orders; i++) paths.push(`/api/v1/orders/${uuidOf(Math.floor(random() * 2 ** 32))}`);
  const users = 10 + Math.floor(random() * 30);
  for (let i = 0; i < users; i++) paths.push(`/u/${hex(random, 24)}/avatar.png`);
  for (let i = 0; i < 10; i++) paths.push(`/api/v1/users/${Math.floor(random() * 100_000)}/cart`);
  if (bases.size >= 10_000) bases.clear();
  bases.set(tag, b);
  return b;
}

/** A cumulative-weight table: `table(x)` maps a uniform draw to a value with the given weights. */
export function weighted<T>(entries: readonly (readonly [T, number])[]): (x: number) => T {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  const bounds: number[] = [];
  let acc = 0;
  for (const [, w] of entries) bounds.push((acc += w / total));
  return (x) => {
    for (let i = 0; i < bounds.length; i++) if (x < bounds[i]!) return entries[i]![0];
    return entries[entries.length - 1]![0];
  };
}

/** A power-law rank in [0, n): rank 0 is the most likely, a higher skew makes it more so. */
export const rank = (x: number, n: number, skew: number): number => Math.min(n - 1, Math.floor(n * Math.pow(x, skew)));

/** A lognormal-ish positive value around `median`: exp of a sum of uniforms, deterministic per draw pair. */
export const lognormal = (a: number, b: number, median: number, spread: number): number => median * Math.exp(spread * (a + b - 1) * 2.2);

/** A UUID made of a seed (versions, ids). */
export function uuidOf(seed: number): string {
  const random = seeded(seed);
  const h = hex(random, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[Math.floor(random() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
