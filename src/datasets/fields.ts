/**
 * Field declarations: every field a document can carry is declared once, beside the dataset that writes it.
 * The Elasticsearch mapping and docs/fields.md are generated from these declarations, and a test fails when a
 * document carries a field that is not declared.
 */

export type FieldType = "date" | "keyword" | "long" | "integer" | "double" | "boolean";

export interface FieldDecl {
  /** Dotted path, e.g. `cloudflare.requests`. */
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
}

/** Fields every document of every dataset carries (or may carry, for `cloudflare.key`). */
export const commonFields: readonly FieldDecl[] = [
  { name: "@timestamp", type: "date", description: "Start of the minute (UTC) the figures belong to; never the time of the run." },
  { name: "cloudflare.dataset", type: "keyword", description: "Which Cloudflare dataset the document comes from, e.g. `http_requests`." },
  { name: "cloudflare.zone.id", type: "keyword", description: "Cloudflare zone tag (zone-scoped datasets)." },
  { name: "cloudflare.zone.name", type: "keyword", description: "Zone name as configured (`CF_ZONES` or the config file)." },
  { name: "cloudflare.account.id", type: "keyword", description: "Cloudflare account tag (account-scoped datasets: Workers, R2, Logpush)." },
  { name: "cloudflare.account.name", type: "keyword", description: "Account name as configured (`CF_ACCOUNTS` or the config file)." },
  {
    name: "cloudflare.breakdown",
    type: "keyword",
    description: "`total` for the minute's totals, otherwise the map the document is an entry of (`country`, `status`, ...).",
  },
  {
    name: "cloudflare.key",
    type: "keyword",
    description:
      "The entry's key as Cloudflare gives it (country code, status code, content type, ...); entries Cloudflare lists twice under one key are summed into one. " +
      "`__unattributed__`: the part of the total Cloudflare's breakdown does not cover (a partial map), so every breakdown adds up to its total. Absent on `total` documents.",
  },
];

/** The key of the entry holding what a partial breakdown leaves of its total. */
export const UNATTRIBUTED = "__unattributed__";

/** Fields of the sampled ("Adaptive") datasets, whose figures are Cloudflare's estimates, not exact counts. */
export const samplingFields: readonly FieldDecl[] = [
  {
    name: "cloudflare.sampled",
    type: "boolean",
    description: "`true` on every document of a sampled (Adaptive) dataset: the figures are Cloudflare's extrapolated estimates.",
  },
  {
    name: "cloudflare.sample_interval",
    type: "double",
    description:
      "Cloudflare's average sample interval for the figures (1 = every event counted, 10 = one in ten). On `total`: the largest of the minute's entries.",
  },
];

/** Confidence bounds of a sampled count (`CF_CONFIDENCE_LEVEL`); on entries only, since bounds do not add up. */
export const confidenceFields: readonly FieldDecl[] = [
  {
    name: "cloudflare.confidence.lower",
    type: "double",
    description: "Lower bound of the entry's count at the configured confidence level (`CF_CONFIDENCE_LEVEL`); absent unless asked for.",
  },
  {
    name: "cloudflare.confidence.upper",
    type: "double",
    description: "Upper bound of the entry's count at the configured confidence level; absent unless asked for.",
  },
];

/** Fields of breakdowns capped to the top N entries per minute (`CF_TOP_N`). */
export const cappedFields: readonly FieldDecl[] = [
  {
    name: "cloudflare.other_entries",
    type: "long",
    description: "On the `__other__` entry of a capped breakdown: how many entries beyond the top N it sums up.",
  },
];

/** All declarations of the given datasets plus the common ones; a name declared twice must agree on its type. */
export function mergeFields(groups: readonly (readonly FieldDecl[])[]): FieldDecl[] {
  const byName = new Map<string, FieldDecl>();
  for (const decl of [commonFields, ...groups].flat()) {
    const seen = byName.get(decl.name);
    if (seen && seen.type !== decl.type) {
      throw new Error(`field ${decl.name} is declared as ${seen.type} and as ${decl.type}; one name, one type`);
    }
    if (!seen) byName.set(decl.name, decl);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
