/**
 * What earlier runs left in their records (`<prefix>-runs-*`) that this run needs: the Cloudflare queries they spent
 * in the last five minutes. Cloudflare's budget is per user and does not reset when a run ends; where Cloudflare does
 * not say what is left (`viewer { budget }`), this is how a run learns what its predecessors spent.
 */
import type { Client, estypes, TransportRequestOptions } from "@elastic/elasticsearch";
import { indexPattern } from "../index-names.js";
import { densityKey } from "../../plan.js";
import { RUNS } from "../../runs/run-document.js";

export interface Spent {
  /** When the queries were spent, at the latest (the run's end), epoch ms in the records' clock. */
  readonly at: number;
  readonly queries: number;
}

export async function recentQueries(client: Client, prefix: string, since: number, options: TransportRequestOptions): Promise<Spent[]> {
  const response = await client.search<{ run?: { ended?: string; queries?: number } }>(
    {
      index: indexPattern(prefix, RUNS),
      allow_no_indices: true,
      ignore_unavailable: true,
      size: 1_000,
      _source: ["run.ended", "run.queries"],
      query: { bool: { filter: [{ term: { "run.kind": "run" } }, { range: { "run.ended": { gte: since, format: "epoch_millis" } } }] } },
    },
    options,
  );
  return response.hits.hits.flatMap((hit) => {
    const run = hit._source?.run;
    const at = Date.parse(run?.ended ?? "");
    return Number.isFinite(at) && typeof run?.queries === "number" ? [{ at, queries: run.queries }] : [];
  });
}

/**
 * The same per zone and account, for account-based rate limiting, where each has a budget of its own: the queries the
 * runs' `dataset` records charge to each owner, counted as spent at the end of the latest of those runs (the later,
 * the longer they stay in the window: never too few).
 */
export async function recentQueriesByOwner(
  client: Client,
  prefix: string,
  since: number,
  options: TransportRequestOptions,
): Promise<(Spent & { owner: string })[]> {
  const perOwner = (field: string) => ({
    terms: { field, size: 65_536 },
    aggs: { queries: { sum: { field: "run.queries" } }, at: { max: { field: "run.ended" } } },
  });
  const response = await aggregateDatasetRecords(
    client,
    prefix,
    [{ range: { "run.ended": { gte: since, format: "epoch_millis" } } }, { range: { "run.queries": { gt: 0 } } }],
    { zones: perOwner("cloudflare.zone.id"), accounts: perOwner("cloudflare.account.id") },
    options,
  );
  type Bucket = { key: string; queries: { value: number | null }; at: { value: number | null } };
  const buckets = (name: string) => (response.aggregations?.[name] as { buckets?: Bucket[] } | undefined)?.buckets ?? [];
  return [...buckets("zones"), ...buckets("accounts")].flatMap((b) =>
    b.queries.value && b.at.value ? [{ owner: b.key, queries: b.queries.value, at: b.at.value }] : [],
  );
}

/**
 * Rows per unit of the densest window each owner and dataset had in the runs since `since`, keyed by
 * `densityKey(dataset, owner)`: what the planner sizes windows from once a dataset has been fetched. Paged with a
 * composite aggregation, so thousands of zones cost a few searches, never one unbounded answer.
 */
export async function recentDensity(client: Client, prefix: string, since: number, options: TransportRequestOptions): Promise<Map<string, number>> {
  const densest = new Map<string, number>();
  let after: Record<string, string | number | null> | undefined;
  do {
    const response = await aggregateDatasetRecords(
      client,
      prefix,
      [{ range: { "@timestamp": { gte: since, format: "epoch_millis" } } }, { exists: { field: "run.rows_per_unit" } }],
      {
        owners: {
          composite: {
            size: 10_000,
            sources: [
              { dataset: { terms: { field: "cloudflare.dataset" } } },
              { zone: { terms: { field: "cloudflare.zone.id", missing_bucket: true } } },
              { account: { terms: { field: "cloudflare.account.id", missing_bucket: true } } },
            ],
            ...(after ? { after } : {}),
          },
          aggs: { densest: { max: { field: "run.rows_per_unit" } } },
        },
      },
      options,
    );
    type Bucket = { key: { dataset: string; zone: string | null; account: string | null }; densest: { value: number | null } };
    const owners = response.aggregations?.owners as { buckets: Bucket[]; after_key?: Record<string, string | number | null> } | undefined;
    for (const b of owners?.buckets ?? []) {
      const owner = b.key.zone ?? b.key.account;
      if (owner && b.densest.value !== null) densest.set(densityKey(b.key.dataset, owner), b.densest.value);
    }
    after = owners && owners.buckets.length > 0 ? owners.after_key : undefined;
  } while (after);
  return densest;
}

/** Aggregations over the runs' per-owner `dataset` records matching `filters`; no hits, and no error before any run. */
function aggregateDatasetRecords(
  client: Client,
  prefix: string,
  filters: readonly estypes.QueryDslQueryContainer[],
  aggs: Record<string, estypes.AggregationsAggregationContainer>,
  options: TransportRequestOptions,
) {
  return client.search(
    {
      index: indexPattern(prefix, RUNS),
      allow_no_indices: true,
      ignore_unavailable: true,
      size: 0,
      query: { bool: { filter: [{ term: { "run.kind": "dataset" } }, ...filters] } },
      aggs,
    },
    options,
  );
}
