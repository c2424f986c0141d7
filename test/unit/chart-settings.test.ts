/**
 * The chart refuses what the exporter refuses. For every setting of the settings table, the chart's schema holds the
 * same bounds and allowed values; what JSON schema cannot say (duplicate ids, the order of a backfill's times) the
 * templates refuse. The run deadline reaches the exporter from the Jobs' deadlines, and the Cloudflare and gate CA
 * certificates are mounted and named like Elasticsearch's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DATASET_NAMES, DEFAULT_SET, EVERY_DATASET } from "../../src/datasets/index.js";
import { MIN_SECRET_LENGTH, SETTINGS, type Setting, settingAt } from "../../src/config/settings.js";
import { INDEX_PREFIX_PATTERN } from "../../src/config/validate.js";
import { OWNER_ID_PATTERN } from "../../src/config/zones.js";
import { chartDir, ciValues, containerProcess, isHook, type Manifest, one, podSpec, render, tryRender } from "../support/chart.js";

type Json = Record<string, any>;
const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8")) as Json;
const at = (path: string): Json | undefined => path.split(".").reduce<Json | undefined>((node, key) => node?.properties?.[key], schema);

/** Settings that are no chart value, and why; everything else must be one, at the same path. */
const notChartValues: Record<string, string> = {
  output: "the chart always writes to Elasticsearch",
  "cloudflare.caFile": "a mounted file: the chart's value is cloudflare.ca",
  "elasticsearch.caFile": "a mounted file: the chart's value is elasticsearch.ca",
  "gate.caFile": "a mounted file: the chart's value is gate.ca",
  "run.deadlineSeconds": "set from the Jobs' activeDeadlineSeconds",
};
const MARGIN = 30;

const refusal = (values: Json): string => {
  const result = tryRender({ valuesFiles: [ciValues("minimal")], values });
  assert.equal(result.ok, false, `rendering ${JSON.stringify(values)} must fail`);
  return result.ok ? "" : result.message;
};
const renders = (values: Json): Manifest[] => render({ valuesFiles: [ciValues("minimal")], values }).manifests;
const envOf = (workload: Manifest): Map<string, Manifest> => new Map((podSpec(workload).containers[0].env as Manifest[]).map((e) => [e.name, e]));

describe("chart: the schema holds the settings table's bounds and allowed values", () => {
  for (const setting of (SETTINGS as readonly Setting[]).filter((s) => s.key)) {
    const key = setting.key!;
    it(`${key}`, () => {
      const node = at(key);
      if (notChartValues[key]) return assert.equal(node, undefined, `${key} is no chart value (${notChartValues[key]})`);
      assert.ok(node, `values.schema.json has ${key}`);
      const types: string[] = [node.type ?? []].flat();
      switch (setting.kind) {
        case "whole":
          assert.ok(types.includes("integer"), `${key} is an integer`);
          assert.deepEqual([node.minimum, node.maximum], [setting.min, setting.max], `${key} has the table's bounds`);
          break;
        case "choice":
          assert.deepEqual([...node.enum].sort(), [...setting.choices!].sort());
          break;
        case "share":
          assert.deepEqual([node.exclusiveMinimum, node.exclusiveMaximum], [0, 1]);
          break;
        case "datasets":
          assert.deepEqual(node.items.enum, [...DATASET_NAMES, DEFAULT_SET, EVERY_DATASET], "the dataset names of src/datasets/index.ts, default and all");
          break;
        case "prefix":
          assert.deepEqual([node.pattern, node.maxLength], [INDEX_PREFIX_PATTERN.source, setting.max]);
          break;
        case "owners":
          assert.equal(node.items.properties.id.pattern, OWNER_ID_PATTERN.source);
          break;
        case "globs":
          assert.deepEqual([types, node.items.type, node.items.pattern], [["array"], "string", "\\S"], `${key} is a list of non-blank texts`);
          break;
        case "bool":
          assert.deepEqual(types, ["boolean"]);
          break;
        default:
          assert.deepEqual(types, ["string"]);
      }
    });
  }

  it("the Jobs' deadlines leave RUN_DEADLINE_SECONDS within the table's bounds", () => {
    const deadline = settingAt("run.deadlineSeconds");
    for (const path of ["cronjob.activeDeadlineSeconds", "backfill.activeDeadlineSeconds"]) {
      assert.deepEqual([at(path)!.minimum, at(path)!.maximum], [deadline.min! + MARGIN, deadline.max! + MARGIN], path);
    }
  });
});

describe("chart: values the exporter would refuse fail the install", () => {
  for (const [path, values] of [
    ["/cloudflare/apiUrl", { cloudflare: { apiUrl: "https://user:secret-1@proxy.example/graphql" } }],
    ["/elasticsearch/url", { elasticsearch: { url: "https://elastic:changeme-1@es.example:9200" } }],
    ["/gate/uri", { gate: { uri: "http://me:pw@gate.internal/allowed" } }],
  ] as const) {
    it(`credentials inside a URL: ${path}`, () => assert.match(refusal(values), new RegExp(`at '${path}'`)));
  }

  it("an @ after the host is no credential", () => {
    assert.equal(renders({ elasticsearch: { url: "https://es.example:9200/proxy@1" } }).length > 0, true);
  });

  it("a misspelt dataset name", () => assert.match(refusal({ datasets: ["http_requests", "dnss"] }), /at '\/datasets\/1': value must be one of/));

  it("a zone id listed twice, even under two names; an account id listed twice", () => {
    const zone = "023e105f4ecef8ad9ca31a8372d0c353";
    assert.match(
      refusal({
        cloudflare: {
          zones: [
            { id: zone, name: "a" },
            { id: zone, name: "b" },
          ],
        },
      }),
      new RegExp(`cloudflare\\.zones lists zone ${zone} more than once`),
    );
    const account = { id: "01a7362d577a6c3019a474fd6f485823", name: "p" };
    assert.match(
      refusal({ cloudflare: { accounts: [account, { ...account, name: "q" }] } }),
      /cloudflare\.accounts lists account 01a7362d577a6c3019a474fd6f485823 more than once/,
    );
  });

  it("a backfill whose from is not before its to, in any zone offset", () => {
    const backfill = (from: string, to: string) => ({ backfill: { enabled: true, from, to } });
    assert.match(refusal(backfill("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z")), /backfill\.from \(2026-11-02T00:00:00Z\) is not before backfill\.to/);
    assert.match(refusal(backfill("2026-11-01T00:00Z", "2026-11-01T02:00:00+02:00")), /is not before backfill\.to/);
    assert.equal(find(renders(backfill("2026-11-01T00:00Z", "2026-11-01T00:01+0000"))), 1, "one minute is a range");
  });

  it("a backfill time that is not a whole minute", () => {
    assert.match(refusal({ backfill: { enabled: true, from: "2026-11-01T00:00:30Z", to: "2026-11-02T00:00:00Z" } }), /at '\/backfill\/from'/);
  });

  it("a backfill of a zone that is not configured", () => {
    assert.match(
      refusal({ backfill: { enabled: true, from: "2026-11-01T00:00Z", to: "2026-11-02T00:00Z", zones: ["ffff"] } }),
      /backfill\.zones: ffff is not one of cloudflare\.zones/,
    );
  });

  it(`a token, key or password shorter than ${MIN_SECRET_LENGTH} characters for the chart-created Secret`, () => {
    const short = "x".repeat(MIN_SECRET_LENGTH - 1);
    const enough = "x".repeat(MIN_SECRET_LENGTH);
    assert.match(refusal({ cloudflare: { auth: { apiToken: short } } }), /at '\/cloudflare\/auth\/apiToken'/);
    assert.match(refusal({ cloudflare: { auth: { type: "key", apiEmail: "a@example.com", apiKey: short } } }), /at '\/cloudflare\/auth\/apiKey'/);
    assert.match(refusal({ elasticsearch: { auth: { type: "apiKey", apiKey: short } } }), /at '\/elasticsearch\/auth\/apiKey'/);
    assert.match(refusal({ elasticsearch: { auth: { type: "basic", username: "u", password: short } } }), /at '\/elasticsearch\/auth\/password'/);
    assert.match(refusal({ cloudflare: { auth: { apiToken: `${enough} x` } } }), /at '\/cloudflare\/auth\/apiToken'/, "whitespace, as the exporter refuses it");
    assert.ok(
      renders({ cloudflare: { auth: { apiToken: enough } }, elasticsearch: { auth: { type: "basic", username: "u", password: `${short} ` } } }).length > 0,
    );
  });

  it("a Job deadline that would leave the exporter less than its minimum", () => {
    assert.match(refusal({ cronjob: { activeDeadlineSeconds: 39 } }), /at '\/cronjob\/activeDeadlineSeconds'/);
    assert.match(refusal({ backfill: { activeDeadlineSeconds: 39 } }), /at '\/backfill\/activeDeadlineSeconds'/);
  });
});

function find(manifests: readonly Manifest[]): number {
  return manifests.filter((m) => m.kind === "Job" && !isHook(m)).length;
}

describe("chart: RUN_DEADLINE_SECONDS", () => {
  it(`the CronJob's runs are told their Job's deadline less ${MARGIN} s; the bootstrap hook is not`, () => {
    for (const [values, expected] of [
      [{}, "240"],
      [{ cronjob: { activeDeadlineSeconds: 600 } }, "570"],
    ] as const) {
      const manifests = renders(values);
      assert.deepEqual(envOf(one(manifests, "CronJob")).get("RUN_DEADLINE_SECONDS"), { name: "RUN_DEADLINE_SECONDS", value: expected });
      assert.equal(envOf(one(manifests, "Job", isHook)).has("RUN_DEADLINE_SECONDS"), false);
    }
  });

  it("the backfill Job is told its deadline when it has one", () => {
    const job = one(render({ valuesFiles: [ciValues("backfill")] }).manifests, "Job", (m) => !isHook(m));
    assert.equal(job.spec.activeDeadlineSeconds, 21600);
    assert.equal(envOf(job).get("RUN_DEADLINE_SECONDS")?.value, "21570");
    const unbounded = one(renders({ backfill: { enabled: true, from: "2026-11-01T00:00Z", to: "2026-11-02T00:00Z" } }), "Job", (m) => !isHook(m));
    assert.equal(envOf(unbounded).has("RUN_DEADLINE_SECONDS"), false);
  });
});

describe("chart: CA certificates for Cloudflare and the gate", () => {
  const existing: Manifest[] = [
    { kind: "ConfigMap", metadata: { name: "proxy-ca" }, data: { "proxy.pem": "proxy pem" } },
    { kind: "Secret", metadata: { name: "gate-ca" }, stringData: { "ca.crt": "gate pem" } },
  ];

  it("are mounted from a ConfigMap or a Secret into every pod and named by CF_CA_FILE and GATE_CA_FILE", () => {
    const manifests = renders({ cloudflare: { ca: { configMapName: "proxy-ca", key: "proxy.pem" } }, gate: { ca: { secretName: "gate-ca" } } });
    for (const workload of manifests.filter((m) => m.kind === "CronJob" || m.kind === "Job")) {
      const process = containerProcess(workload, [...existing, ...manifests], { namespace: "observability", podName: "p" });
      assert.equal(process.env.CF_CA_FILE, "/etc/cloudflare-es-exporter/cloudflare-ca/proxy.pem");
      assert.equal(process.env.GATE_CA_FILE, "/etc/cloudflare-es-exporter/gate-ca/ca.crt");
      assert.equal(process.files.get(process.env.CF_CA_FILE)?.toString(), "proxy pem");
      assert.equal(process.files.get(process.env.GATE_CA_FILE)?.toString(), "gate pem");
    }
  });

  it("are absent unless asked for, and come from one place each", () => {
    const env = envOf(one(renders({}), "CronJob"));
    assert.equal(env.has("CF_CA_FILE") || env.has("GATE_CA_FILE"), false);
    assert.match(refusal({ cloudflare: { ca: { secretName: "a", configMapName: "b" } } }), /cloudflare\.ca: set only one of secretName and configMapName/);
    assert.match(refusal({ gate: { ca: { secretName: "a", configMapName: "b" } } }), /gate\.ca: set only one of secretName and configMapName/);
  });
});
