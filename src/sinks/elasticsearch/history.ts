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
