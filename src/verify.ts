/**
 * Proves the stored figures: for each zone and hour, the sums of the stored minutes against Cloudflare's own hourly
 * rollup, and for each minute, every breakdown against the minute's total. Read-only on both sides.
 */
import type { Client } from "@elastic/elasticsearch";
import type { Zone } from "./config/types.js";
import type { CloudflareClient } from "./cloudflare/client.js";
import type { Window, ZoneDataset } from "./datasets/dataset.js";
import { asArray } from "./datasets/shape.js";
import { indexPattern } from "./sinks/index-names.js";
import { DAY, HOUR, iso } from "./time.js";

export interface HourResult {
  readonly zone: Zone;
  readonly hour: number;
  /** Minutes of the hour with a stored total document (60 when complete). */
  readonly storedMinutes: number;
  readonly metrics: readonly { metric: string; stored: number; cloudflare: number }[];
  readonly ok: boolean;
}

export interface BreakdownMismatch {
  readonly zone: Zone;
  readonly minute: number;
  readonly breakdown: string;
  readonly metric: string;
  readonly entries: number;
  readonly total: number;
}

export interface VerifyResult {
  readonly hours: HourResult[];
  readonly minutesChecked: number;
  readonly breakdownMismatches: BreakdownMismatch[];
}

interface Deps {
  readonly es: Client;
  readonly cloudflare: CloudflareClient;
  readonly dataset: ZoneDataset;
  readonly indexPrefix: string;
}

/** Compares whole hours inside `range`; the caller makes sure the range holds at least one. */
export async function verify(deps: Deps, zones: readonly Zone[], range: Window): Promise<VerifyResult> {
  const hours: HourResult[] = [];
  const breakdownMismatches: BreakdownMismatch[] = [];
  let minutesChecked = 0;
  // A run that ended a moment ago may have written documents that are not searchable yet.
  await deps.es.indices.refresh({ index: indexPattern(deps.indexPrefix, deps.dataset.name), allow_no_indices: true, ignore_unavailable: true });
  for (const zone of zones) {
    hours.push(...(await compareHours(deps, zone, range)));
    // A day at a time keeps the minute x breakdown aggregation well below Elasticsearch's bucket limit.
    for (let from = range.from; from < range.to; from += DAY) {
      const chunk = { from, to: Math.min(from + DAY, range.to) };
      const checked = await checkBreakdowns(deps, zone, chunk);
      minutesChecked += checked.minutes;
      breakdownMismatches.push(...checked.mismatches);
    }
  }
  return { hours, minutesChecked, breakdownMismatches };
}

async function compareHours(deps: Deps, zone: Zone, range: Window): Promise<HourResult[]> {
  const rollup = deps.dataset.rollup;
  if (!rollup) return [];
  const cloudflare = new Map<number, Record<string, number>>();
  for (let from = range.from; from < range.to; from += 7 * DAY) {
    const to = Math.min(from + 7 * DAY, range.to);
    const viewer = await deps.cloudflare.viewer({
      context: `${rollup.node} for ${zone.name} [${iso(from)}, ${iso(to)})`,
      query: rollup.query,
      variables: { zoneTag: zone.id, from: iso(from), to: iso(to), limit: 10_000 },
      cost: 1,
    });
    for (const zoneObject of asArray(viewer.zones, "viewer.zones")) {
      for (const [hour, sums] of rollup.hours(zoneObject)) cloudflare.set(hour, sums);
    }
  }
  const response = await deps.es.search({
    index: indexPattern(deps.indexPrefix, deps.dataset.name),
    allow_no_indices: true,
    ignore_unavailable: true,
    size: 0,
    query: totalsOf(deps.dataset.name, zone, range),
    aggs: {
      hours: {
        date_histogram: { field: "@timestamp", fixed_interval: "1h", min_doc_count: 0, extended_bounds: { min: range.from, max: range.to - 1 } },
        aggs: Object.fromEntries(rollup.metrics.map((m) => [m, { sum: { field: `cloudflare.${m}` } }])),
      },
    },
  });
  const buckets = (response.aggregations as { hours?: { buckets: ({ key: number; doc_count: number } & Record<string, { value: number }>)[] } } | undefined)?.hours?.buckets ?? [];
  const stored = new Map(buckets.map((b) => [b.key, b]));
  const results: HourResult[] = [];
  for (let hour = range.from; hour < range.to; hour += HOUR) {
    const s = stored.get(hour);
    const cf = cloudflare.get(hour) ?? {};
    const metrics = rollup.metrics.map((metric) => ({ metric, stored: Math.round(s?.[metric]?.value ?? 0), cloudflare: cf[metric] ?? 0 }));
    const storedMinutes = s?.doc_count ?? 0;
    results.push({ zone, hour, storedMinutes, metrics, ok: storedMinutes === 60 && metrics.every((m) => m.stored === m.cloudflare) });
  }
  return results;
}

async function checkBreakdowns(deps: Deps, zone: Zone, range: Window): Promise<{ minutes: number; mismatches: BreakdownMismatch[] }> {
  const checks = deps.dataset.breakdownChecks;
  const metrics = [...new Set(checks.flatMap((c) => c.metrics.flatMap((m) => [m.entry, m.total])))];
  const response = await deps.es.search({
    index: indexPattern(deps.indexPrefix, deps.dataset.name),
    allow_no_indices: true,
    ignore_unavailable: true,
    size: 0,
    query: { bool: { filter: [...filtersOf(deps.dataset.name, zone, range)] } },
    aggs: {
      minutes: {
        date_histogram: { field: "@timestamp", fixed_interval: "1m", min_doc_count: 1 },
        aggs: {
          breakdowns: {
            terms: { field: "cloudflare.breakdown", size: 100 },
            aggs: Object.fromEntries(metrics.map((m) => [m, { sum: { field: `cloudflare.${m}` } }])),
          },
        },
      },
    },
  });
  type Bucket = { key: string } & Record<string, { value: number }>;
  const minutes = (response.aggregations as { minutes?: { buckets: { key: number; breakdowns: { buckets: Bucket[] } }[] } } | undefined)?.minutes?.buckets ?? [];
  const mismatches: BreakdownMismatch[] = [];
  let checked = 0;
  for (const minute of minutes) {
    const byName = new Map(minute.breakdowns.buckets.map((b) => [b.key, b]));
    const total = byName.get("total");
    if (!total) continue;
    checked++;
    for (const check of checks) {
      const entries = byName.get(check.breakdown);
      for (const { entry, total: of } of check.metrics) {
        const sum = Math.round(entries?.[entry]?.value ?? 0);
        const expected = Math.round(total[of]?.value ?? 0);
        if (sum !== expected) mismatches.push({ zone, minute: minute.key, breakdown: check.breakdown, metric: entry, entries: sum, total: expected });
      }
    }
  }
  return { minutes: checked, mismatches };
}

function filtersOf(dataset: string, zone: Zone, range: Window): object[] {
  return [
    { term: { "cloudflare.dataset": dataset } },
    { term: { "cloudflare.zone.id": zone.id } },
    { range: { "@timestamp": { gte: range.from, lt: range.to, format: "epoch_millis" } } },
  ];
}

function totalsOf(dataset: string, zone: Zone, range: Window): object {
  return { bool: { filter: [...filtersOf(dataset, zone, range), { term: { "cloudflare.breakdown": "total" } }] } };
}

/** Whole hours inside a range: verification compares with an hourly rollup. */
export function wholeHours(range: Window): Window {
  return { from: Math.ceil(range.from / HOUR) * HOUR, to: Math.floor(range.to / HOUR) * HOUR };
}

