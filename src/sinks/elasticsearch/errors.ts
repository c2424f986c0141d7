/**
 * Elasticsearch client errors as `SinkError`s: a short message naming the cluster and what we were doing, a kind,
 * and the fix where the cause tells it. The client's own error stays reachable as `cause`, never shown raw.
 */
import { errors } from "@elastic/elasticsearch";
import { SinkError } from "../sink.js";
import { describeEsError, esStatus } from "./client.js";

/** Whether `error` came from the Elasticsearch client (and so must be wrapped before anyone shows it). */
export function isEsClientError(error: unknown): boolean {
  return error instanceof errors.ElasticsearchClientError;
}

/**
 * `error` as a `SinkError`: `Elasticsearch <origin>: <doing> failed: <what the client said, shortened>`. A
 * `SinkError` is passed through unchanged (it was classified where it happened).
 */
export function esFailure(error: unknown, doing: string, origin?: string): SinkError {
  if (error instanceof SinkError) return error;
  const status = esStatus(error);
  const described = error instanceof errors.RequestAbortedError ? "no answer before the run's deadline or stop signal" : describeEsError(error);
  return new SinkError(`Elasticsearch${origin ? ` ${origin}` : ""}: ${doing} failed: ${described}`, status, {
    ...classify(error, status, described),
    cause: error,
  });
}

function classify(error: unknown, status: number | undefined, described: string): { kind?: string; fix?: string } {
  if (status === 401) return { kind: "auth", fix: "check ES_USER and ES_PASSWORD (or ES_API_KEY): Elasticsearch refused them" };
  if (status === 403) {
    return {
      kind: "forbidden",
      fix: "give the user or API key the role in docs/elasticsearch-role.json (with your ES_INDEX_PREFIX); `check` lists what is missing",
    };
  }
  if (status === 429) return { fix: "Elasticsearch is overloaded; the next run tries again (give the cluster more capacity if it persists)" };
  if (status !== undefined && status >= 500) return { fix: "check the cluster's health (GET _cluster/health) and its logs" };
  if (status !== undefined) return {};
  if (error instanceof errors.TimeoutError) return { kind: "timeout", fix: "check the cluster's load and the network to ES_URL" };
  // Our own abort: the run reached its deadline (or was told to stop) while Elasticsearch had not answered.
  if (error instanceof errors.RequestAbortedError) {
    return { kind: "timeout", fix: "Elasticsearch did not answer before the run had to stop: check the cluster's load and the network to ES_URL" };
  }
  if (error instanceof errors.ProductNotSupportedError) {
    return { kind: "not-elasticsearch", fix: "ES_URL must point at Elasticsearch itself (not a login page or another service)" };
  }
  if (/certificate|self[- ]signed|\bssl\b|\btls\b|unable to verify/i.test(described)) {
    return { kind: "tls", fix: "set ES_CA_FILE to the CA that signed the cluster's certificate (or check ES_URL's host name)" };
  }
  return { kind: "unreachable", fix: "check ES_URL and the network between the exporter and Elasticsearch" };
}
