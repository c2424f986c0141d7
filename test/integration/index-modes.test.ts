/**
 * Time-series and standard data indices against the real Elasticsearch: new indices are time-series indices bounded
 * by the period their name stands for, re-reads overwrite and drop what Cloudflare no longer returns, and an index
 * made before (standard, without the new fields) keeps being written exactly, with the exporter's own ids.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import { mergeFields } from "../../src/datasets/fields.js";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { mappingProperties } from "../../src/sinks/mapping.js";
import {
  cli,
  countDocuments,
  differences,
  dropPrefix,
  esClient,
  expectedDocumentCount,
  expectedRange,
  exporterEnv,
  needsElasticsearch,
  simulator,
  ZONES,
} from "../support/harness.js";

const NOW = Date.parse("2026-11-20T12:00:30Z");
const MONTH = "2026.11";
const range = expectedRange(NOW);
const at = ["--now", new Date(NOW).toISOString()];
const backfill = ["backfill", "--from", new Date(range.from).toISOString(), "--to", new Date(range.to).toISOString(), ...at];

describe("data index modes", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  const prefixes = ["it-tsds", "it-legacy", "it-standard"];

  before(async () => {
    es = esClient();
    for (const p of prefixes) await dropPrefix(es, p);
    sim = await simulator({ now: () => NOW });
  });
  after(async () => {
    await sim.close();
    for (const p of prefixes) await dropPrefix(es, p);
    await es.close();
  });

  const settingsOf = async (index: string) => {
    const response = await es.indices.getSettings({ index, include_defaults: true });
    const body = response[index] as { settings: { index: Record<string, unknown> }; defaults: { index: Record<string, unknown> } };
    return { ...body.defaults.index, ...body.settings.index } as { mode?: string; time_series?: { start_time?: string; end_time?: string } };
  };
  /** The ids of up to 10,000 documents of an index. */
  const ids = async (index: string): Promise<string[]> => {
    await es.indices.refresh({ index });
    const response = await es.search({ index, size: 10_000, _source: false });
    return response.hits.hits.map((h) => h._id!);
  };

  it("a run makes time-series indices bounded by their month; a second read of the range overwrites, adding nothing", async () => {
    const env = exporterEnv(sim, "it-tsds");
    const first = await cli(["run", ...at], env);
    assert.equal(first.code, 0, first.stderr);
    const settings = await settingsOf(`it-tsds-http_requests-${MONTH}`);
    assert.equal(settings.mode, "time_series");
    assert.equal(Date.parse(settings.time_series!.start_time!), Date.parse("2026-11-01T00:00:00Z"));
    assert.equal(Date.parse(settings.time_series!.end_time!), Date.parse("2026-12-01T00:00:00Z"));
    assert.equal((await settingsOf(`it-tsds-runs-${MONTH}`)).mode, "standard", "run records stay standard");
    assert.deepEqual(await differences(es, "it-tsds", range), []);

    const again = await cli(backfill, env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await differences(es, "it-tsds", range), []);
    assert.equal(await countDocuments(es, "it-tsds"), expectedDocumentCount(range));
  });

  it("an entry a re-read no longer returns is deleted from a time-series index", async () => {
    const index = `it-tsds-http_requests-${MONTH}`;
    const minute = new Date(range.from + 30 * 60_000).toISOString();
    const zone = ZONES[0];
    // An entry Cloudflare does not return (a country the simulator never serves), as an earlier read could have left.
    await es.bulk({
      refresh: true,
      operations: [
        { index: { _index: index } },
        {
          "@timestamp": minute,
          cloudflare: { dataset: "http_requests", zone: { id: zone.id, name: zone.name }, breakdown: "country", key: "AQ", requests: 7, bytes: 7 },
        },
      ],
    });
    assert.notDeepEqual(await differences(es, "it-tsds", range), [], "the extra entry is seen");
    const result = await cli(backfill, exporterEnv(sim, "it-tsds"));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await differences(es, "it-tsds", range), []);
    assert.equal(await countDocuments(es, "it-tsds"), expectedDocumentCount(range));
  });

  it("a month's index made before, standard and without the new fields, is written exactly with the exporter's ids", async () => {
    const index = `it-legacy-http_requests-${MONTH}`;
    // The mapping as it was: no time-series parameters, none of the ECS fields.
    const properties = mappingProperties(mergeFields([httpRequests.fields]), false);
    for (const gone of ["event", "ecs", "source", "tls", "user_agent"]) delete properties[gone];
    delete properties.http!.properties!.version;
    await es.indices.create({ index, settings: { number_of_shards: 1 }, mappings: { dynamic: "strict", properties: properties as never } });

    const env = exporterEnv(sim, "it-legacy");
    const result = await cli(["run", ...at], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await settingsOf(index)).mode, "standard");
    assert.deepEqual(await differences(es, "it-legacy", range), []);
    const stored = await ids(index);
    assert.equal(stored.length, 10_000);
    assert.ok(
      stored.every((id) => id.startsWith("http_requests|")),
      "the exporter's own ids",
    );
    const mapping = (await es.indices.getMapping({ index }))[index]!.mappings.properties as Record<string, unknown>;
    assert.ok("source" in mapping && "event" in mapping, "the new fields were added to the old index");

    const again = await cli(backfill, env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await differences(es, "it-legacy", range), []);
    assert.equal(await countDocuments(es, "it-legacy"), expectedDocumentCount(range));
  });

  it("ES_INDEX_MODE=standard makes standard indices, with the exporter's ids", async () => {
    const result = await cli(["run", ...at], exporterEnv(sim, "it-standard", { ES_INDEX_MODE: "standard" }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await settingsOf(`it-standard-http_requests-${MONTH}`)).mode, "standard");
    assert.ok((await ids(`it-standard-http_requests-${MONTH}`)).every((id) => id.startsWith("http_requests|")));
    assert.deepEqual(await differences(es, "it-standard", range), []);
  });
});
