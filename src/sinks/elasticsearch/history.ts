/**
 * What earlier runs left in their records (`<prefix>-runs-*`) that this run needs: the Cloudflare queries they spent
 * in the last five minutes. Cloudflare's budget is per user and does not reset when a run ends; where Cloudflare does
 * not say what is left (`viewer { budget }`), this is how a run learns what its predecessors spent.
 */
import type { Client, TransportRequestOptions } from "@elastic/elasticsearch";
import { indexPattern } from "../index-names.js";
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
  const response = await client.search(
    {
      index: indexPattern(prefix, RUNS),
      allow_no_indices: true,
      ignore_unavailable: true,
      size: 0,
      query: {
        bool: {
          filter: [
            { term: { "run.kind": "dataset" } },
            { range: { "run.ended": { gte: since, format: "epoch_millis" } } },
            { range: { "run.queries": { gt: 0 } } },
          ],
        },
      },
      aggs: { zones: perOwner("cloudflare.zone.id"), accounts: perOwner("cloudflare.account.id") },
    },
    options,
  );
  type Bucket = { key: string; queries: { value: number | null }; at: { value: number | null } };
  const buckets = (name: string) => (response.aggregations?.[name] as { buckets?: Bucket[] } | undefined)?.buckets ?? [];
  return [...buckets("zones"), ...buckets("accounts")].flatMap((b) =>
    b.queries.value && b.at.value ? [{ owner: b.key, queries: b.queries.value, at: b.at.value }] : [],
  );
}
