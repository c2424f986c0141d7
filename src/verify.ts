/**
 * Proves the stored figures: for each zone and rollup unit (an hour for minutes, a day for hours), the sums of the
 * stored units against Cloudflare's own coarser rollup, and for each stored unit, every breakdown against its total.
 * Read-only on both sides.
 */
import type { Client, estypes } from "@elastic/elasticsearch";
import type { CloudflareClient } from "./cloudflare/client.js";
import { CloudflareError } from "./cloudflare/errors.js";
import { halve } from "./cloudflare/fetch.js";
import type { Dataset, Owner, Window } from "./datasets/dataset.js";
import { timeVariable } from "./datasets/query.js";
import { UNATTRIBUTED } from "./datasets/fields.js";
import { asArray } from "./datasets/shape.js";
import { indexPattern } from "./sinks/index-names.js";
import { DAY, fixedInterval, HOUR } from "./time.js";

interface HourResult {
  readonly zone: Owner;
  /** Start of the rollup unit (an hour, or a day for the hourly dataset). */
  readonly hour: number;
  /** Units of the rollup unit with a stored total document (60 minutes an hour, 24 hours a day when complete). */
  readonly storedMinutes: number;
  readonly expectedUnits: number;
  readonly metrics: readonly { metric: string; stored: number; cloudflare: number }[];
  readonly ok: boolean;
}

interface BreakdownMismatch {
  readonly zone: Owner;
  readonly minute: number;
  readonly breakdown: string;
  readonly metric: string;
  readonly entries: number;
  readonly total: number;
}

/** A unit whose breakdown Cloudflare answered partially: the rest is stored as `__unattributed__`, not a mismatch. */
interface PartialBreakdown {
  readonly zone: Owner;
  readonly minute: number;
  readonly breakdown: string;
}

export interface VerifyResult {
  readonly hours: HourResult[];
  readonly minutesChecked: number;
  readonly breakdownMismatches: BreakdownMismatch[];
  readonly partialBreakdowns: PartialBreakdown[];
}

interface Deps {
  readonly es: Client;
  readonly cloudflare: CloudflareClient;
  readonly dataset: Dataset;
  readonly indexPrefix: string;
}

/** Compares whole rollup units inside `range`; the caller makes sure the range holds at least one. */
export async function verify(deps: Deps, zones: readonly Owner[], range: Window): Promise<VerifyResult> {
  const hours: HourResult[] = [];
  const breakdownMismatches: BreakdownMismatch[] = [];
  const partialBreakdowns: PartialBreakdown[] = [];
  let minutesChecked = 0;
  // A run that ended a moment ago may have written documents that are not searchable yet.
  await deps.es.indices.refresh({ index: indexPattern(deps.indexPrefix, deps.dataset.name), allow_no_indices: true, ignore_unavailable: true });
  for (const zone of zones) {
    hours.push(...(await compareHours(deps, zone, range)));
    // About 1,440 units at a time keeps the unit x breakdown aggregation well below Elasticsearch's bucket limit.
    const step = deps.dataset.unit * 1440;
    for (let from = range.from; from < range.to; from += step) {
      const chunk = { from, to: Math.min(from + step, range.to) };
      const checked = await checkBreakdowns(deps, zone, chunk);
      minutesChecked += checked.minutes;
      breakdownMismatches.push(...checked.mismatches);
      partialBreakdowns.push(...checked.partial);
    }
  }
  return { hours, minutesChecked, breakdownMismatches, partialBreakdowns };
}

async function compareHours(deps: Deps, zone: Owner, range: Window): Promise<HourResult[]> {
  const rollup = deps.dataset.rollup;
  if (!rollup) return [];
  const cloudflare = new Map<number, Record<string, number>>();
  // Seven hourly or 30 daily rows per query stay far inside any window Cloudflare allows.
  const step = rollup.unit === HOUR ? 7 * DAY : 30 * DAY;
  for (let from = range.from; from < range.to; from += step) {
    for (const [start, sums] of await rollupRows(deps, rollup, zone, { from, to: Math.min(from + step, range.to) })) cloudflare.set(start, sums);
  }
  const response = await deps.es.search({
    index: indexPattern(deps.indexPrefix, deps.dataset.name),
    allow_no_indices: true,
    ignore_unavailable: true,
    size: 0,
    query: totalsOf(deps.dataset.name, zone, range),
    aggs: {
      hours: {
        date_histogram: {
          field: "@timestamp",
          fixed_interval: fixedInterval(rollup.unit),
          min_doc_count: 0,
          extended_bounds: { min: range.from, max: range.to - 1 },
        },
        aggs: Object.fromEntries<estypes.AggregationsAggregationContainer>(
          rollup.metrics.flatMap((m) => [
            [m, { sum: { field: `cloudflare.${m}` } }],
            [`${m}_stored`, { value_count: { field: `cloudflare.${m}` } }],
          ]),
        ),
      },
    },
  });
  const buckets =
    (response.aggregations as { hours?: { buckets: ({ key: number; doc_count: number } & Record<string, { value: number }>)[] } } | undefined)?.hours
      ?.buckets ?? [];
  const stored = new Map(buckets.map((b) => [b.key, b]));
  const results: HourResult[] = [];
  const expectedUnits = rollup.unit / deps.dataset.unit;
  for (let hour = range.from; hour < range.to; hour += rollup.unit) {
    const s = stored.get(hour);
    const cf = cloudflare.get(hour) ?? {};
    // A figure the exporter's query left out (shed under a field cap, e.g. the deprecated threats) is not stored in
    // any unit of the hour: there is nothing to compare, which is not a mismatch.
    const metrics = rollup.metrics
      .filter((metric) => !s || (s[`${metric}_stored`]?.value ?? 0) > 0)
      .map((metric) => ({ metric, stored: Math.round(s?.[metric]?.value ?? 0), cloudflare: cf[metric] ?? 0 }));
    const storedMinutes = s?.doc_count ?? 0;
    results.push({ zone, hour, storedMinutes, expectedUnits, metrics, ok: storedMinutes === expectedUnits && metrics.every((m) => m.stored === m.cloudflare) });
  }
  return results;
}

/** Cloudflare's rollup rows of one zone; a range Cloudflare finds too expensive is asked for in halves. */
async function rollupRows(deps: Deps, rollup: NonNullable<Dataset["rollup"]>, zone: Owner, range: Window): Promise<Map<number, Record<string, number>>> {
  const { from, to } = range;
  try {
    const viewer = await deps.cloudflare.viewer({
      context: `${rollup.node} for ${zone.name} [${timeVariable(from, rollup.timeType)}, ${timeVariable(to, rollup.timeType)})`,
      query: rollup.query,
      variables: { zoneTag: zone.id, from: timeVariable(from, rollup.timeType), to: timeVariable(to, rollup.timeType), limit: 10_000 },
      cost: 1,
    });
    const rows = new Map<number, Record<string, number>>();
    for (const zoneObject of asArray(viewer.zones, "viewer.zones")) for (const [start, sums] of rollup.rows(zoneObject)) rows.set(start, sums);
    return rows;
  } catch (error) {
    const halves = error instanceof CloudflareError && error.kind === "too-large" ? halve(range, rollup.unit) : undefined;
    if (!halves) throw error;
    return new Map([...(await rollupRows(deps, rollup, zone, halves[0])), ...(await rollupRows(deps, rollup, zone, halves[1]))]);
  }
}

async function checkBreakdowns(
  deps: Deps,
  zone: Owner,
  range: Window,
): Promise<{ minutes: number; mismatches: BreakdownMismatch[]; partial: PartialBreakdown[] }> {
  const checks = deps.dataset.breakdownChecks;
  const metrics = [...new Set(checks.flatMap((c) => c.metrics.flatMap((m) => [m.entry, m.total])))];
  // Field names hold dots; aggregation names are kept plain.
  const aggName = (field: string): string => `m${metrics.indexOf(field)}`;
  const response = await deps.es.search({
    index: indexPattern(deps.indexPrefix, deps.dataset.name),
    allow_no_indices: true,
    ignore_unavailable: true,
    size: 0,
    query: { bool: { filter: [...filtersOf(deps.dataset.name, zone, range)] } },
    aggs: {
      minutes: {
        date_histogram: { field: "@timestamp", fixed_interval: fixedInterval(deps.dataset.unit), min_doc_count: 1 },
        aggs: {
          breakdowns: {
            terms: { field: "cloudflare.breakdown", size: 100 },
            aggs: {
              ...Object.fromEntries<estypes.AggregationsAggregationContainer>(
                metrics.flatMap((m) => [
                  [aggName(m), { sum: { field: m } }],
                  [`${aggName(m)}_stored`, { value_count: { field: m } }],
                ]),
              ),
              unattributed: { filter: { term: { "cloudflare.key": UNATTRIBUTED } } },
            },
          },
        },
      },
    },
  });
  type Bucket = { key: string; unattributed?: { doc_count: number } } & Record<string, { value: number }>;
  const minutes =
    (response.aggregations as { minutes?: { buckets: { key: number; breakdowns: { buckets: Bucket[] } }[] } } | undefined)?.minutes?.buckets ?? [];
  const mismatches: BreakdownMismatch[] = [];
  const partial: PartialBreakdown[] = [];
  let checked = 0;
  for (const minute of minutes) {
    const byName = new Map(minute.breakdowns.buckets.map((b) => [b.key, b]));
    const total = byName.get("total");
    if (!total) continue;
    checked++;
    for (const check of checks) {
      const entries = byName.get(check.breakdown);
      if ((entries?.unattributed?.doc_count ?? 0) > 0) partial.push({ zone, minute: minute.key, breakdown: check.breakdown });
      for (const { entry, total: of } of check.metrics) {
        // A total figure the query left out cannot be checked against (a recorded answer without `sum.threats`).
        if ((total[`${aggName(of)}_stored`]?.value ?? 0) === 0) continue;
        // Counts are whole numbers and compared exactly; float sums (GB-seconds) agree to a millionth.
        const sum = entries?.[aggName(entry)]?.value ?? 0;
        const expected = total[aggName(of)]?.value ?? 0;
        const exact = Number.isInteger(sum) && Number.isInteger(expected);
        if (exact ? sum !== expected : Math.abs(sum - expected) > 1e-6 * Math.max(1, Math.abs(expected)))
          mismatches.push({ zone, minute: minute.key, breakdown: check.breakdown, metric: entry, entries: sum, total: expected });
      }
    }
  }
  return { minutes: checked, mismatches, partial };
}

function filtersOf(dataset: string, zone: Owner, range: Window): object[] {
  return [
    { term: { "cloudflare.dataset": dataset } },
    { term: { [zone.scope === "zone" ? "cloudflare.zone.id" : "cloudflare.account.id"]: zone.id } },
    { range: { "@timestamp": { gte: range.from, lt: range.to, format: "epoch_millis" } } },
  ];
}

function totalsOf(dataset: string, zone: Owner, range: Window): object {
  return { bool: { filter: [...filtersOf(dataset, zone, range), { term: { "cloudflare.breakdown": "total" } }] } };
}

/** Whole units (hours, days) inside a range: verification compares with a coarser rollup. */
export function wholeHours(range: Window, unit = HOUR): Window {
  return { from: Math.ceil(range.from / unit) * unit, to: Math.floor(range.to / unit) * unit };
}
