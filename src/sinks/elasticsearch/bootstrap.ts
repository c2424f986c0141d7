/**
 * Creates or updates the Elasticsearch side: lifecycle policy (where ILM exists), one component template with the
 * generated mappings and one index template per dataset, and for the run records the new mappings on their indices.
 * Idempotent and a handful of requests, so every run does it: a skipped Helm hook cannot leave the cluster behind.
 *
 * The templates say nothing of the index mode: the sink creates each data index itself, as a time-series index
 * bounded by its period (or standard, by ES_INDEX_MODE or when the cluster refuses), and adds missing fields to an
 * existing data index when it first writes there (the dimension and metric parameters cannot be added to a field an
 * older index already has, so a pattern-wide mapping update would fail on indices made before they existed).
 */
import type { Client, TransportRequestOptions } from "@elastic/elasticsearch";
import type { ElasticsearchConfig } from "../../config/types.js";
import { type FieldDecl, mergeFields } from "../../datasets/fields.js";
import { indexPattern } from "../index-names.js";
import { mappingProperties } from "../mapping.js";

const policyName = (prefix: string): string => `${prefix}-retention`;

/** ILM is missing on some clusters (the integ-test distribution, Serverless): then we say so and carry on. */
export async function ilmAvailable(client: Client, options: TransportRequestOptions = {}): Promise<boolean> {
  try {
    await client.ilm.getStatus(undefined, options);
    return true;
  } catch {
    return false;
  }
}

/** Anything with its own indices and declared fields: a dataset, or the exporter's run records. */
export interface Indexed {
  readonly name: string;
  readonly fields: readonly FieldDecl[];
  /** The fields are complete as they are (run records); datasets get the common document fields added. */
  readonly standalone?: boolean;
}

export async function bootstrap(
  client: Client,
  config: ElasticsearchConfig,
  datasets: readonly Indexed[],
  ilm: boolean,
  options: TransportRequestOptions = {},
): Promise<void> {
  const prefix = config.indexPrefix;
  if (ilm) {
    await client.ilm.putLifecycle(
      {
        name: policyName(prefix),
        policy: {
          _meta: { managed_by: "cloudflare-es-exporter" },
          // Ages count from index.lifecycle.origination_date, which we set to the end of the period an index covers.
          phases: { hot: { min_age: "0ms", actions: {} }, delete: { min_age: `${config.retentionDays}d`, actions: { delete: {} } } },
        },
      },
      options,
    );
  }
  for (const dataset of datasets) {
    const properties = dataset.standalone ? mappingProperties(dataset.fields, false) : mappingProperties(mergeFields([dataset.fields]));
    const component = `${prefix}-${dataset.name}-mappings`;
    await client.cluster.putComponentTemplate(
      {
        name: component,
        template: { mappings: { dynamic: "strict", properties: properties as never } },
        _meta: { managed_by: "cloudflare-es-exporter", dataset: dataset.name },
      },
      options,
    );
    await client.indices.putIndexTemplate(
      {
        name: `${prefix}-${dataset.name}`,
        index_patterns: [indexPattern(prefix, dataset.name)],
        composed_of: [component],
        priority: 200,
        template: {
          settings: {
            number_of_shards: 1,
            ...(ilm ? { "index.lifecycle.name": policyName(prefix) } : {}),
          },
        },
        _meta: { managed_by: "cloudflare-es-exporter", dataset: dataset.name },
      },
      options,
    );
    if (!dataset.standalone) continue;
    // Templates only shape new indices; existing ones get new fields added (never changed) here.
    await client.indices.putMapping(
      {
        index: indexPattern(prefix, dataset.name),
        allow_no_indices: true,
        ignore_unavailable: true,
        dynamic: "strict",
        properties: properties as never,
      },
      options,
    );
  }
}
