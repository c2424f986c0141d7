/**
 * The data indices as the sink finds or makes them, one request or two per index and run:
 *
 * - a new index is created explicitly before its first write, as a time-series index whose start and end are the
 *   period its name stands for (`ES_INDEX_MODE=time_series`, the default), or as a standard one. Under ILM its
 *   lifecycle clock is pinned to the end of that period, not to the day a backfill happened to create it;
 * - when the cluster refuses time-series indices, the index is created standard instead, with one warning, and so is
 *   every later index of the run;
 * - an index that already exists is read once: its mode (an index made before time-series indices, or by an NDJSON
 *   import, is standard and keeps the exporter's own `_id`s) and its mapping, to which missing fields are added.
 */
import type { Client, TransportRequestOptions } from "@elastic/elasticsearch";
import type { ElasticsearchConfig } from "../../config/types.js";
import { indexNamer, periodEnd, periodStart } from "../index-names.js";
import { missingProperties, timeSeriesSettings, type MappingProperty } from "../mapping.js";
import { RUNS } from "../../runs/run-document.js";
import { describeEsError, esStatus } from "./client.js";
import { esFailure } from "./errors.js";

type IndexMode = "time_series" | "standard";

export interface IndexOptions {
  readonly client: Client;
  readonly config: ElasticsearchConfig;
  /** Options of each request (deadline, abort signal). */
  readonly req: () => TransportRequestOptions;
  readonly origin: string;
  readonly warn: (message: string) => void;
}

export interface Indices {
  /** The index a document of `dataset` at `timestamp` goes to, made sure of; its mode. */
  prepare(dataset: string, timestamp: number): Promise<{ index: string; mode: IndexMode }>;
  /** The mode of an index `prepare` has seen in this run. */
  modeOf(index: string): IndexMode | undefined;
  /** The lifecycle policy exists (set by `ensure`), so new indices get their origination date. */
  useLifecycle(ilm: boolean): void;
  /** The mapping a dataset's indices must have (set by `ensure`; run records need none: bootstrap keeps theirs). */
  declare(dataset: string, properties: Record<string, MappingProperty>): void;
}

interface IndexBody {
  settings?: { index?: { mode?: string } };
  mappings?: { properties?: Record<string, MappingProperty> };
}

export function dataIndices(options: IndexOptions): Indices {
  const { client, config, req, origin } = options;
  const nameOf = indexNamer(config.indexPrefix, config.indexPeriod);
  const modes = new Map<string, IndexMode>();
  const declared = new Map<string, Record<string, MappingProperty>>();
  let ilm = false;
  /** Why the cluster refused a time-series index in this run; later indices are standard without asking again. */
  let refused: string | undefined;

  /** Creates `index`; false when it exists already. Errors other than "exists" are the caller's. */
  async function create(index: string, settings: Record<string, unknown>): Promise<boolean> {
    try {
      await client.indices.create({ index, settings }, req());
      return true;
    } catch (error) {
      if (describeEsError(error).includes("resource_already_exists_exception")) return false;
      throw error;
    }
  }

  async function createIndex(dataset: string, index: string, timestamp: number): Promise<IndexMode | undefined> {
    const lifecycle = ilm ? { "index.lifecycle.origination_date": periodEnd(config.indexPeriod, timestamp) } : {};
    // Run records are events, one per run and dataset with ids of their own: never a time series.
    const timeSeries = dataset !== RUNS && config.indexMode === "time_series" && refused === undefined;
    if (timeSeries) {
      const settings = { ...lifecycle, ...timeSeriesSettings(periodStart(config.indexPeriod, timestamp), periodEnd(config.indexPeriod, timestamp)) };
      try {
        return (await create(index, settings)) ? "time_series" : undefined;
      } catch (error) {
        // A cluster that does not offer time-series indices answers 400 (an unknown or forbidden setting); anything
        // else (credentials, an unhealthy cluster) is not a refusal of the mode and fails as it would for any index.
        if (esStatus(error) !== 400) throw esFailure(error, `creating index ${index}`, origin);
        refused = describeEsError(error);
        options.warn(
          `Elasticsearch ${origin} refused a time-series index (${index}: ${refused}); creating standard indices instead, with the exporter's own document ids. ` +
            "Set ES_INDEX_MODE=standard to say so and silence this warning.",
        );
      }
    }
    try {
      return (await create(index, lifecycle)) ? "standard" : undefined;
    } catch (error) {
      throw esFailure(error, `creating index ${index}`, origin);
    }
  }

  /** An existing index: its mode, and the declared fields it lacks added (its own fields are never changed). */
  async function adopt(dataset: string, index: string): Promise<IndexMode> {
    const response = (await client.indices.get({ index }, req())) as Record<string, IndexBody>;
    const body = response[index] ?? Object.values(response)[0];
    const mode: IndexMode = body?.settings?.index?.mode === "time_series" ? "time_series" : "standard";
    const wanted = declared.get(dataset);
    const missing = wanted && missingProperties(wanted, body?.mappings?.properties);
    if (missing) await client.indices.putMapping({ index, properties: missing as never }, req());
    return mode;
  }

  return {
    async prepare(dataset, timestamp) {
      const index = nameOf(dataset, timestamp);
      let mode = modes.get(index);
      if (mode === undefined) {
        mode = await createIndex(dataset, index, timestamp);
        if (mode === undefined) {
          try {
            mode = await adopt(dataset, index);
          } catch (error) {
            throw esFailure(error, `reading index ${index}`, origin);
          }
        }
        modes.set(index, mode);
      }
      return { index, mode };
    },
    modeOf: (index) => modes.get(index),
    useLifecycle(value) {
      ilm = value;
    },
    declare(dataset, properties) {
      declared.set(dataset, properties);
    },
  };
}
