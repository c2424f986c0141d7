/** The Elasticsearch sink: time-named concrete indices, deterministic ids, the client's bulk helper. */
import type { Client, TransportRequestOptions } from "@elastic/elasticsearch";
import type { TimeLimit } from "../../cloudflare/client.js";
import pRetry from "p-retry";
import type { ElasticsearchConfig } from "../../config/types.js";
import type { Dataset, Owner, Window } from "../../datasets/dataset.js";
import type { ExportDocument } from "../../datasets/document.js";
import type { estypes } from "@elastic/elasticsearch";
type FieldValue = estypes.FieldValue;
import { holes } from "../../plan.js";
import { DAY, fixedInterval, HOUR, MINUTE } from "../../time.js";
import { mergeFields } from "../../datasets/fields.js";
import { indexPattern, periodEnd, periodStart } from "../index-names.js";
import { mappingProperties } from "../mapping.js";
import { sourceJson } from "../source-json.js";
import { SinkError, type Coverage, type Indexed, type Sink, type WriteBatch, type WriteOutcome } from "../sink.js";
import { bootstrap, ilmAvailable } from "./bootstrap.js";
import { RUNS, runsIndexed } from "../../runs/run-document.js";
import { createElasticsearchClient } from "./client.js";
import { dataIndices } from "./indices.js";
import { esFailure } from "./errors.js";
import { recentDensity, recentQueries, recentQueriesByOwner } from "./history.js";

/** Documents to write: a window's entries are read back as they are written; iterable again for a retry. */
type Documents = Iterable<ExportDocument> | AsyncIterable<ExportDocument>;
/** What the bulk helper gets per document: the `index` action and the `_source` as JSON text. */
type Operation = [{ index: { _index: string; _id?: string } }, string];

const MAX_REASONS = 5;
/**
 * Bulk requests in flight (halved after each whole-request 429) and their size. The bulk helper holds every request in
 * flight with its documents until Elasticsearch answers: two of 2 MB keep that well inside a small pod's heap (four of
 * 4 MB took some 40 MB more at no gain in speed on a two-core cluster; BENCHMARKS.md).
 */
const CONCURRENCY = 2;
const FLUSH_BYTES = 2_000_000;

/** The longest a single request may take (retries aside) while a run goes on. */
const REQUEST_TIMEOUT_MS = 60_000;
const NO_LIMIT: TimeLimit = { remainingMs: () => Number.POSITIVE_INFINITY, signal: new AbortController().signal };

export function elasticsearchSink(
  config: ElasticsearchConfig & { url: string },
  client: Client = createElasticsearchClient(config),
  time: TimeLimit = NO_LIMIT,
  /** Where warnings go (a cluster that refuses time-series indices); the command's logger. */
  warn: (message: string) => void = () => {},
): Sink {
  /**
   * Set while the run's own record is written: after the run stopped, so not bound to its deadline or stop signal,
   * but to a few seconds of its own for everything it takes (a cluster that hung the run must not hang its record).
   */
  let recording: AbortSignal | undefined;
  /**
   * Options of every request: at most a minute, never past the run's deadline, ended at once by its stop signal (a
   * hung cluster cannot hold a run beyond its Job's deadline). The run record gets a short bound of its own.
   */
  const req = (): TransportRequestOptions =>
    recording
      ? { requestTimeout: 5_000, maxRetries: 0, signal: recording }
      : { requestTimeout: Math.max(1_000, Math.min(REQUEST_TIMEOUT_MS, time.remainingMs())), signal: time.signal, maxRetries: 2 };
  let ilm = false;
  /** Whether this process has installed the templates (ensure, or record on a run that skipped ensure). */
  let bootstrapped = false;
  /** Index patterns refreshed before the first search of this run. */
  const refreshed = new Set<string>();
  const origin = new URL(config.url).origin;
  /** Each index this process writes to: created (time-series or standard) or read once per run. */
  const indices = dataIndices({ client, config, req, origin, warn });

  /** Runs `step`; a client error becomes a `SinkError` naming the cluster, the step and the fix. */
  async function doing<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw esFailure(error, what, origin);
    }
  }

  /** A run killed a moment ago may have written documents that are not searchable yet; once per dataset is enough. */
  async function refreshOnce(index: string): Promise<void> {
    if (refreshed.has(index)) return;
    await client.indices.refresh({ index, allow_no_indices: true, ignore_unavailable: true }, req());
    refreshed.add(index);
  }

  /**
   * One pass of the bulk helper over `documents`, retried as a whole when Elasticsearch rejects a whole request with
   * 429 (the helper itself only re-sends items answered with 429), each time with half the requests in flight, so
   * that a cluster under pressure gets less. Re-sending is safe: ids are deterministic (ours in a standard index,
   * derived from the dimensions and time in a time-series one), and `documents` yields the same documents again on
   * every iteration. `written` collects the ids Elasticsearch answered with, when given.
   */
  async function bulk(documents: Documents, written?: Set<string>): Promise<WriteOutcome> {
    let rejectedRequests = 0;
    const outcome = await pRetry(() => bulkOnce(documents, Math.max(1, CONCURRENCY >> rejectedRequests), written), {
      retries: 6,
      factor: 2,
      minTimeout: 1_000,
      maxTimeout: 30_000,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof SinkError && error.status === 429,
      onFailedAttempt: () => {
        rejectedRequests++;
      },
    });
    return { ...outcome, retried: outcome.retried + rejectedRequests * outcome.written };
  }

  async function bulkOnce(documents: Documents, concurrency: number, written: Set<string> | undefined): Promise<WriteOutcome> {
    /**
     * Each document as the helper's pair: its action and its `_source` text. The index is made sure of (the action
     * needs its mode) when a document leaves the dataset and period of the one before: an index covers exactly its
     * period (a time-series index accepts no other time), so within it nothing is looked up or awaited per document.
     * A time-series index derives `_id` from the dimensions and `@timestamp` and refuses any other (writing the same
     * ones again overwrites), so its documents share one action; a standard index takes ours, made of the same parts.
     */
    async function* operations(): AsyncGenerator<Operation> {
      let dataset: string | undefined;
      let from = 0;
      let to = 0;
      let index = "";
      let shared: Operation[0] | undefined;
      for await (const doc of documents) {
        if (doc.dataset !== dataset || doc.timestamp < from || doc.timestamp >= to) {
          const prepared = await indices.prepare(doc.dataset, doc.timestamp);
          dataset = doc.dataset;
          index = prepared.index;
          from = periodStart(config.indexPeriod, doc.timestamp);
          to = periodEnd(config.indexPeriod, doc.timestamp);
          shared = prepared.mode === "time_series" ? { index: { _index: index } } : undefined;
        }
        yield [shared ?? { index: { _index: index, _id: doc.id } }, sourceJson(doc.fields)];
      }
    }
    const reasons: string[] = [];
    try {
      const stats = await client.helpers.bulk(
        {
          datasource: operations(),
          // The helper takes a string payload as it is (it would stringify an object); onDrop and onSuccess get it
          // parsed back, as they did before.
          onDocument: (operation) => operation,
          ...(written
            ? {
                // Deserializes each written document again (the helper's cost), so only where stale entries are sought.
                onSuccess: ({ result }: { result: Partial<Record<string, { _id?: string | null }>> }) => {
                  const id = result.index?._id;
                  if (id) written.add(id);
                },
              }
            : {}),
          onDrop: (drop) => {
            if (reasons.length < MAX_REASONS) reasons.push(`${drop.status} ${drop.error?.type ?? ""}: ${(drop.error?.reason ?? "").slice(0, 200)}`.trim());
          },
          // Only what the helper and `written` read of each item: a third of the answer to parse, no `_shards`.
          filter_path: "errors,items.*._id,items.*.status,items.*.error",
          flushBytes: FLUSH_BYTES,
          concurrency,
          retries: 5,
          wait: 2_000,
          flushInterval: 1_000,
        },
        req(),
      );
      return { written: stats.successful, failed: stats.failed, reasons, retried: stats.retry };
    } catch (error) {
      throw esFailure(error, "bulk write", origin);
    }
  }

  /** Ids (with their index) of the entries already stored for the batch's owner, dataset and window. */
  async function storedEntryIds(batch: WriteBatch): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const index = indexPattern(config.indexPrefix, batch.dataset);
    const query = {
      bool: {
        filter: [
          { term: { "cloudflare.dataset": batch.dataset } },
          { term: { [batch.scope === "zone" ? "cloudflare.zone.id" : "cloudflare.account.id"]: batch.ownerId } },
          { range: { "@timestamp": { gte: batch.window.from, lt: batch.window.to, format: "epoch_millis" } } },
        ],
        must_not: [{ term: { "cloudflare.breakdown": "total" } }],
      },
    };
    let after: FieldValue[] | undefined;
    for (;;) {
      const response = await searchOrSinkError(async () => {
        // `backfill` reads no coverage first, so this may be the first search of the dataset in this run.
        await refreshOnce(index);
        return client.search(
          {
            index,
            allow_no_indices: true,
            ignore_unavailable: true,
            size: 10_000,
            _source: false,
            track_total_hits: false,
            sort: [{ "@timestamp": "asc" }, { "cloudflare.key": "asc" }, { "cloudflare.breakdown": "asc" }],
            ...(after ? { search_after: after } : {}),
            query,
          },
          req(),
        );
      });
      const hits = response.hits.hits;
      for (const hit of hits) found.set(hit._id!, hit._index);
      if (hits.length < 10_000) return found;
      after = hits.at(-1)!.sort as FieldValue[];
    }
  }

  const searchOrSinkError = <T>(search: () => Promise<T>): Promise<T> => doing("reading the stored entries", search);

  async function deleteDocuments(documents: readonly [id: string, index: string][]): Promise<void> {
    for (let i = 0; i < documents.length; i += 5_000) {
      const operations = documents.slice(i, i + 5_000).map(([id, index]) => ({ delete: { _index: index, _id: id } }));
      const response = await doing("deleting entries Cloudflare no longer returns", () => client.bulk({ operations }, req()));
      const failed = response.items.filter((item) => item.delete?.error);
      if (failed.length > 0)
        throw new SinkError(`deleting ${failed.length} entries Cloudflare no longer returns failed: ${failed[0]!.delete!.error!.reason ?? ""}`);
    }
  }

  /** Count of total documents per bucket (only non-empty buckets) and the newest stored minute in `range`. */
  async function totalsHistogram(index: string, dataset: string, owner: Owner, range: Window, interval: string) {
    const response = await client.search(
      {
        index,
        allow_no_indices: true,
        ignore_unavailable: true,
        size: 0,
        track_total_hits: false,
        query: {
          bool: {
            filter: [
              { term: { "cloudflare.dataset": dataset } },
              { term: { [owner.scope === "zone" ? "cloudflare.zone.id" : "cloudflare.account.id"]: owner.id } },
              { term: { "cloudflare.breakdown": "total" } },
              { range: { "@timestamp": { gte: range.from, lt: range.to, format: "epoch_millis" } } },
            ],
          },
        },
        aggs: {
          buckets: { date_histogram: { field: "@timestamp", fixed_interval: interval, min_doc_count: 1 } },
          newest: { max: { field: "@timestamp" } },
        },
      },
      req(),
    );
    const aggs = response.aggregations as { buckets: { buckets: { key: number; doc_count: number }[] }; newest: { value: number | null } } | undefined;
    return {
      buckets: new Map((aggs?.buckets.buckets ?? []).map((b) => [b.key, b.doc_count])),
      newest: aggs?.newest.value ?? undefined,
    };
  }

  /**
   * Stored units from the total documents, in two steps so a week of minutes costs two small searches: coarse
   * buckets first (a complete hour holds one total per minute, a complete day one per hour), then fine buckets
   * only where a coarse one is incomplete. Daily datasets need one search.
   */
  async function storedUnits(dataset: Dataset, owner: Owner, range: Window): Promise<Coverage> {
    const index = indexPattern(config.indexPrefix, dataset.name);
    await refreshOnce(index);
    const unit = dataset.unit;
    const coarse = unit === MINUTE ? HOUR : unit === HOUR ? DAY : undefined;
    if (coarse === undefined) {
      const fine = await totalsHistogram(index, dataset.name, owner, range, fixedInterval(unit));
      return {
        newest: fine.newest,
        missing: holes(
          range,
          [...fine.buckets.keys()].sort((a, b) => a - b),
          unit,
        ),
      };
    }
    const outer = await totalsHistogram(index, dataset.name, owner, range, fixedInterval(coarse));
    const unitsIn = (start: number): number => (Math.min(start + coarse, range.to) - Math.max(start, range.from)) / unit;
    const present: number[] = [];
    const incomplete: number[] = [];
    for (const [start, count] of outer.buckets) {
      if (count !== unitsIn(start)) incomplete.push(start);
      else for (let t = Math.max(start, range.from); t < Math.min(start + coarse, range.to); t += unit) present.push(t);
    }
    if (incomplete.length > 0) {
      const partial = { from: Math.max(range.from, Math.min(...incomplete)), to: Math.min(range.to, Math.max(...incomplete) + coarse) };
      const inner = await totalsHistogram(index, dataset.name, owner, partial, fixedInterval(unit));
      for (const t of inner.buckets.keys()) if (incomplete.includes(t - (t % coarse))) present.push(t);
    }
    present.sort((a, b) => a - b);
    return { newest: outer.newest, missing: holes(range, present, unit) };
  }

  return {
    description: `Elasticsearch ${new URL(config.url).origin}`,

    async ensure(datasets: readonly Indexed[]): Promise<string[]> {
      await doing("installing the lifecycle policy and index templates", async () => {
        ilm = await ilmAvailable(client, req());
        await bootstrap(client, config, [...datasets, runsIndexed], ilm, req());
      });
      bootstrapped = true;
      // The current period's index exists from the start, so dashboards and index patterns resolve at once.
      for (const dataset of datasets) indices.declare(dataset.name, mappingProperties(mergeFields([dataset.fields])));
      indices.useLifecycle(ilm);
      const now = Date.now();
      for (const name of [...datasets.map((d) => d.name), RUNS]) await indices.prepare(name, now);
      return ilm
        ? [`lifecycle policy ${config.indexPrefix}-retention deletes indices ${config.retentionDays} days after the period they cover`]
        : ["index lifecycle management (ILM) is not available on this cluster: old indices will not be deleted automatically"];
    },

    recentQueries(since: number, perOwner = false) {
      return doing("reading the recent run records", async () => {
        await client.indices.refresh({ index: indexPattern(config.indexPrefix, RUNS), allow_no_indices: true, ignore_unavailable: true }, req());
        return perOwner ? recentQueriesByOwner(client, config.indexPrefix, since, req()) : recentQueries(client, config.indexPrefix, since, req());
      });
    },

    recentDensity(since: number) {
      return doing("reading the recent run records", async () => {
        await client.indices.refresh({ index: indexPattern(config.indexPrefix, RUNS), allow_no_indices: true, ignore_unavailable: true }, req());
        return recentDensity(client, config.indexPrefix, since, req());
      });
    },

    /**
     * Stored units from the total documents, in two steps so a week of minutes costs two small searches: coarse
     * buckets first (a complete hour holds one total per minute, a complete day one per hour), then fine buckets
     * only where a coarse one is incomplete. Daily datasets need one search.
     */
    coverage(dataset: Dataset, owner: Owner, range: Window): Promise<Coverage> {
      return doing(`reading which ${dataset.name} units are stored`, () => storedUnits(dataset, owner, range));
    },

    /** Entries first, totals last (see `Flattened`); an entry that fails keeps its minutes' totals unwritten. */
    /**
     * Entries first, then the entries of the window that Cloudflare no longer returns are deleted, then the totals.
     * A re-read can drop an entry (a sampled estimate comes back from another sample, an entry leaves the top N):
     * left in place it would still be summed, and the entries would no longer add up to the total.
     */
    async write(batch: WriteBatch): Promise<WriteOutcome> {
      const before = await storedEntryIds(batch);
      // The ids Elasticsearch gives the written entries: in a time-series index only it knows them.
      const written = new Set<string>();
      const entries = await bulk(batch.entries, before.size === 0 ? undefined : written);
      if (entries.failed > 0) return entries;
      const stale = [...before.entries()].filter(([id]) => !written.has(id));
      if (stale.length > 0) await deleteDocuments(stale);
      const totals = await bulk(batch.totals);
      return { written: entries.written + totals.written, failed: totals.failed, reasons: totals.reasons, retried: entries.retried + totals.retried };
    },

    async record(documents: readonly ExportDocument[]): Promise<void> {
      recording = AbortSignal.timeout(5_000);
      if (!bootstrapped) {
        // A run that was not allowed to work still leaves its record (the gate panels need it).
        await doing("installing the run records' template", async () => {
          ilm = await ilmAvailable(client, req());
          await bootstrap(client, config, [runsIndexed], ilm, req());
        });
        indices.useLifecycle(ilm);
        bootstrapped = true;
      }
      const outcome = await bulk(documents);
      if (outcome.failed > 0)
        throw new SinkError(`Elasticsearch ${origin}: run record rejected: ${outcome.reasons.join("; ")}`, undefined, { kind: "rejected" });
    },

    close: () => client.close(),
  };
}
