/**
 * The shipped Grafana dashboards, data source and alert provisioning, and plain alert queries, checked without
 * Elasticsearch: they parse, use only declared fields with aggregations that fit each field's type, every data query
 * means one breakdown, range totals are sums, uniques (means, percentiles, levels) are never summed, every declared
 * dataset has panels, sampled ones say so, capped breakdowns count their `__other__` entries; and the emulation of Grafana's Elasticsearch
 * data source that the integration tests rely on builds the requests and frames Grafana does.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildDashboards, render } from "../../scripts/build-dashboards.js";
import { evaluateMath, framesToItems } from "../support/grafana-alerting.js";
import { displayValues, interpolateTarget, luceneEscape, parseResponse, searchBody, type Panel, type Target } from "../support/grafana-query.js";
import {
  type DashboardFile,
  alertQueries,
  checkScope,
  checkSearchBody,
  checkSemantics,
  checkOther,
  checkTarget,
  dashboardFiles,
  datasetsOf,
  datasetTraits,
  declaredDatasets,
  dashboardsDir,
  dataFields,
  luceneFields,
  nonAdditiveFields,
  panelsOf,
  provisionedAlertRules,
  provisionedDataSources,
  runsFields,
  sourceOf,
} from "../support/dashboard-rules.js";
import { repoRoot } from "../support/paths.js";

const fieldsOf = (source: "data" | "runs") => (source === "data" ? dataFields() : runsFields());

/** A dashboard's custom variables whose options are fixed (the resolution: name -> dataset values). */
function customVariables(d: DashboardFile): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of d.json.templating?.list ?? []) {
    const options = (v as { options?: { value: string }[] }).options ?? [];
    if (v.type === "custom" && options.length > 0) out[v.name] = options.map((o) => o.value);
  }
  return out;
}

/** The data targets of a dashboard with the datasets each reads. */
function dataTargets(d: DashboardFile): { panel: Panel; target: Target; datasets: string[] }[] {
  const variables = customVariables(d);
  return panelsOf(d)
    .filter((p) => sourceOf(p.datasource?.uid) === "data")
    .flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target, datasets: datasetsOf(target.query ?? "", variables) })));
}

describe("dashboards/*.json", () => {
  const files = dashboardFiles();

  it("are the output of scripts/build-dashboards.ts (node dist/scripts/build-dashboards.js)", () => {
    const built = buildDashboards();
    assert.deepEqual(
      files.map((f) => f.file),
      Object.keys(built).sort(),
    );
    for (const [file, json] of Object.entries(built)) {
      assert.equal(readFileSync(join(dashboardsDir, file), "utf8"), render(json), `${file} is stale: rebuild it`);
    }
  });

  it("are importable: uid, title, no numeric id, unique panel ids, panels inside the 24-column grid", () => {
    const uids = new Set<string>();
    for (const { file, json } of files) {
      assert.match(json.uid, /^[a-z0-9-]{1,40}$/, file);
      assert.ok(!uids.has(json.uid), `${file}: uid ${json.uid} is used twice`);
      uids.add(json.uid);
      assert.ok(json.title, file);
      assert.equal(json.id, undefined, `${file}: an importable dashboard has no id`);
      const ids = new Set<number>();
      for (const p of json.panels ?? []) {
        assert.ok(!ids.has(p.id), `${file}: panel id ${p.id} twice`);
        ids.add(p.id);
        assert.ok(p.gridPos && p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${file}: ${p.title} outside the grid`);
      }
    }
  });

  it("use only their own variables, and the data source variables default to the provisioned uids", () => {
    const provisioned = new Set(provisionedDataSources().map((d) => d.uid));
    for (const { file, json } of files) {
      const variables = json.templating?.list ?? [];
      const names = new Set(variables.map((v) => v.name));
      for (const v of variables.filter((x) => x.type === "datasource")) {
        assert.ok(provisioned.has(String(v.current?.value)), `${file}: variable ${v.name} defaults to ${String(v.current?.value)}`);
      }
      for (const panel of panelsOf({ file, json })) {
        const text = JSON.stringify(panel.targets ?? []);
        for (const [, name] of text.matchAll(/\$\{?(\w+)/g)) {
          if (name!.startsWith("__")) continue;
          assert.ok(names.has(name!), `${file} / ${panel.title}: uses $${name!}, which the dashboard does not define`);
        }
        assert.ok(sourceOf(panel.datasource?.uid), `${file} / ${panel.title}: data source ${panel.datasource?.uid}`);
      }
    }
  });

  it("every target uses declared fields, with aggregations that fit their types", () => {
    const problems: string[] = [];
    let targets = 0;
    for (const d of files) {
      for (const panel of panelsOf(d)) {
        assert.ok((panel.targets ?? []).length > 0, `${d.file} / ${panel.title}: no query`);
        for (const t of panel.targets ?? []) {
          const source = sourceOf(t.datasource?.uid ?? panel.datasource?.uid);
          assert.ok(source, `${d.file} / ${panel.title}: unknown data source`);
          assert.equal(t.datasource?.uid ?? panel.datasource?.uid, panel.datasource?.uid, `${panel.title}: one data source per panel`);
          assert.equal(t.timeField, "@timestamp");
          problems.push(...checkTarget(t, fieldsOf(source), `${d.file} / ${panel.title} / ${t.refId}`));
          problems.push(...checkScope(t, source, `${d.file} / ${panel.title} / ${t.refId}`));
          targets++;
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(targets >= 120, `expected the dashboards' ${targets} targets to be checked`);
  });

  it("range totals are sums of minutes; unique visitors, means, percentiles and levels are never summed", () => {
    const nonAdditive = nonAdditiveFields();
    for (const f of [
      "cloudflare.uniques",
      "cloudflare.r2.payload_bytes",
      "cloudflare.health_check.rtt_avg_ms",
      "cloudflare.worker.cpu_time_p99_us",
      "cloudflare.origin.duration_p50_ms",
      "cloudflare.origin.duration_p95_ms",
      "cloudflare.origin.duration_p99_ms",
      "cloudflare.origin.duration_avg_ms",
    ]) {
      if (dataFields().has(f)) assert.ok(nonAdditive.has(f), `${f} is declared as not additive`);
    }
    assert.ok(!nonAdditive.has("cloudflare.requests"));
    // From the declarations' additivity, not their wording: none of these descriptions says "not additive".
    for (const f of ["cloudflare.sample_interval", "cloudflare.confidence.upper", "cloudflare.other_entries", "run.lag_minutes", "run.query_budget"]) {
      assert.ok(nonAdditive.has(f), `${f} is declared with additivity other than sum`);
    }
    const problems = files.flatMap((d) => panelsOf(d).flatMap((p) => checkSemantics(p, `${d.file} / ${p.title}`, nonAdditive)));
    assert.deepEqual(problems, []);
  });

  it("every dataset the exporter declares is shown, and each dashboard's zone or account list reads the datasets of its panels", () => {
    const declared = declaredDatasets()
      .map((d) => d.name)
      .sort();
    const shown = new Set(files.flatMap((d) => dataTargets(d).flatMap((t) => t.datasets)));
    assert.deepEqual(
      declared.filter((d) => !shown.has(d)),
      [],
      "datasets without a panel",
    );
    assert.deepEqual(
      [...shown].filter((d) => !declared.includes(d)),
      [],
      "panels on undeclared datasets",
    );
    for (const d of files) {
      const owner = (d.json.templating?.list ?? []).find((v) => v.name === "zone" || v.name === "account");
      if (!owner || typeof owner.query !== "string") continue;
      const listed = datasetsOf((JSON.parse(owner.query) as { query: string }).query, customVariables(d)).sort();
      const read = [...new Set(dataTargets(d).flatMap((t) => t.datasets))].sort();
      assert.deepEqual(listed, read, `${d.file}: the ${owner.name} variable lists the zones (accounts) of exactly the datasets its panels read`);
    }
  });

  it("the sampled HTTP datasets and Logpush have their dashboards", () => {
    const read = (uid: string) => new Set(dataTargets(files.find((f) => f.json.uid === uid)!).flatMap((t) => t.datasets));
    assert.deepEqual([...read("cloudflare-http-sampled")].sort(), ["http_colo", "http_eyeball", "http_origin"]);
    assert.deepEqual([...read("cloudflare-http-overview")], ["http_overview"]);
    assert.deepEqual([...read("cloudflare-http-breakdowns")].sort(), ["http_asn", "http_bots", "http_cache", "http_origin_colo", "http_paths", "http_ttfb"]);
    assert.deepEqual([...read("cloudflare-logpush")], ["logpush_health"]);
    // The exact overview stays exact: no sampled dataset among its panels.
    assert.deepEqual([...read("cloudflare-zone-overview")].sort(), ["http_requests", "http_requests_daily", "http_requests_hourly"]);
  });

  it("HTTP breakdowns: hit ratios are divided when read from two summed counts; percentiles only as max or mean, and said so", () => {
    const breakdowns = files.find((f) => f.json.uid === "cloudflare-http-breakdowns")!;
    const panels = panelsOf(breakdowns);
    const ratios = panels.filter((p) => /ratio/i.test(p.title ?? ""));
    assert.deepEqual(ratios.map((p) => p.title).sort(), ["Cache hit ratio", "Cache hit ratio by host", "Cached bandwidth ratio"]);
    for (const p of ratios) {
      const metrics = p.targets!.flatMap((t) => t.metrics);
      assert.ok(metrics.length === 2 && metrics.every((m) => m.type === "sum"), `${p.title}: two sums`);
      const division = (p.transformations ?? []).find((t) => t.id === "calculateField")?.options as
        { binary: { left: { matcher: { options: string } }; operator: string; right: { matcher: { options: string } } } } | undefined;
      assert.ok(division, `${p.title}: divided in the panel`);
      assert.equal(division.binary.operator, "/");
      const [part, whole] = [division.binary.left.matcher.options, division.binary.right.matcher.options];
      assert.match(part, /^Sum cloudflare\.cached_(requests|bytes)$/, p.title);
      assert.equal(whole, part.replace("cached_", ""), `${p.title}: cached over all of the same figure`);
      assert.deepEqual(metrics.map((m) => `Sum ${m.field!}`).sort(), [part, whole].sort(), `${p.title}: divides the sums it asks for`);
    }
    // Nothing stored is a ratio: the fields the dashboard reads are counts, sums, dimensions and per-minute percentiles.
    const fields = dataFields();
    for (const p of panels)
      for (const m of p.targets!.flatMap((t) => t.metrics)) assert.doesNotMatch(m.field ?? "", /(^|[._])(ratio|share)/, `${p.title}: ${m.field!}`);
    assert.ok(fields.has("cloudflare.cached_requests") && fields.has("cloudflare.edge.ttfb_p95_ms"));
    const percentiles = panels.filter((p) => p.targets!.some((t) => t.metrics.some((m) => /_p\d\d_ms$/.test(m.field ?? ""))));
    assert.deepEqual(percentiles.map((p) => p.title).sort(), [
      "Origin P95 by data centre (peak)",
      "P95 time to first byte by host (peak)",
      "Slowest hosts by P95 time to first byte",
    ]);
    for (const p of percentiles) {
      for (const m of p.targets!.flatMap((t) => t.metrics)) assert.ok(m.type === "max" || m.type === "avg", `${p.title}: ${m.type} of ${m.field!}`);
      assert.match(p.description ?? "", /does not add up/, p.title);
    }
    const slowest = percentiles.find((p) => p.title === "Slowest hosts by P95 time to first byte")!;
    assert.match(slowest.description ?? "", /per-minute P95s, never summed/);
    assert.equal(slowest.targets![0]!.bucketAggs[0]!.settings?.orderBy, slowest.targets![0]!.metrics[0]!.id, "slowest first");
  });

  it("panels on sampled datasets say that the figures are Cloudflare's estimates", () => {
    const traits = datasetTraits();
    const problems: string[] = [];
    for (const d of files) {
      for (const { panel, datasets } of dataTargets(d)) {
        if (datasets.some((x) => traits.get(x)?.sampled) && !/Cloudflare samples this dataset/.test(panel.description ?? ""))
          problems.push(`${d.file} / ${panel.title}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("capped breakdowns: every panel over their entries counts the __other__ entries (terms with missing, filters with an other bucket)", () => {
    const traits = datasetTraits();
    assert.ok(["http_eyeball", "http_origin", "http_colo", "http_overview", "dns"].every((x) => traits.get(x)?.capped));
    assert.equal(traits.get("logpush_health")?.capped, false);
    const problems = files.flatMap((d) =>
      dataTargets(d).flatMap(({ panel, target }) => checkOther(target, traits, `${d.file} / ${panel.title}`, customVariables(d))),
    );
    assert.deepEqual(problems, []);
  });

  it("the rules catch the predecessors' mistakes", () => {
    const uniques: Panel = {
      id: 1,
      type: "stat",
      title: "Unique visitors",
      targets: [
        {
          refId: "A",
          query: "cloudflare.breakdown:total",
          metrics: [{ id: "1", type: "sum", field: "cloudflare.uniques" }],
          bucketAggs: [{ id: "2", type: "date_histogram", field: "@timestamp" }],
        },
      ],
      options: { reduceOptions: { values: false, calcs: ["sum"] } },
    };
    assert.match(checkSemantics(uniques, "p").join("\n"), /must not be summed/);
    const level: Panel = {
      ...uniques,
      description: "Stored bytes",
      targets: [{ ...uniques.targets![0]!, metrics: [{ id: "1", type: "sum", field: "cloudflare.r2.payload_bytes" }] }],
    };
    assert.match(checkSemantics(level, "p", nonAdditiveFields()).join("\n"), /payload_bytes does not add up/);
    const lastBucketPie: Panel = {
      id: 2,
      type: "piechart",
      title: "Content types",
      targets: [
        {
          refId: "A",
          query: "cloudflare.breakdown:content_type",
          metrics: [{ id: "1", type: "max", field: "cloudflare.requests" }],
          bucketAggs: [
            { id: "2", type: "terms", field: "cloudflare.key" },
            { id: "3", type: "date_histogram", field: "@timestamp" },
          ],
        },
      ],
      options: { reduceOptions: { values: false, calcs: ["lastNotNull"] } },
    };
    assert.match(checkSemantics(lastBucketPie, "p").join("\n"), /reduced with \[lastNotNull\], want one of \[\]/);
    const unscoped: Target = {
      refId: "A",
      query: "cloudflare.zone.name:$zone",
      metrics: [{ id: "1", type: "sum", field: "cloudflare.requests" }],
      bucketAggs: [{ id: "2", type: "date_histogram", field: "@timestamp" }],
    };
    assert.match(checkScope(unscoped, "data", "t").join("\n"), /exactly one cloudflare.breakdown/);
    const traits = datasetTraits();
    const dropsOther: Target = {
      refId: "A",
      query: "cloudflare.dataset:http_eyeball AND cloudflare.breakdown:status_country_host",
      metrics: [{ id: "1", type: "sum", field: "cloudflare.requests" }],
      bucketAggs: [
        { id: "2", type: "terms", field: "cloudflare.host", settings: { size: "10" } },
        { id: "3", type: "date_histogram", field: "@timestamp" },
      ],
    };
    assert.match(checkOther(dropsOther, traits, "t").join("\n"), /terms on cloudflare.host of a capped breakdown without missing/);
    const groupsWithoutOther: Target = {
      ...dropsOther,
      bucketAggs: [
        {
          id: "2",
          type: "filters",
          settings: {
            filters: [
              { label: "5xx", query: "http.response.status_code:[500 TO 599]" },
              { label: "rest", query: "NOT http.response.status_code:[500 TO 599]" },
            ],
          },
        },
      ],
    };
    assert.match(checkOther(groupsWithoutOther, traits, "t").join("\n"), /filters on a capped breakdown without a bucket/);
    assert.deepEqual(
      checkOther(
        { ...dropsOther, query: `${dropsOther.query!} AND http.response.status_code:[500 TO 599]`, bucketAggs: groupsWithoutOther.bucketAggs },
        traits,
        "t",
      ),
      [],
      "a query narrowed to a status leaves other out on purpose",
    );
    const percentileSummed: Panel = {
      ...uniques,
      description: "Origin P99",
      targets: [
        {
          ...uniques.targets![0]!,
          query: "cloudflare.dataset:http_origin AND cloudflare.breakdown:origin_status_country_host",
          metrics: [{ id: "1", type: "sum", field: "cloudflare.origin.duration_p99_ms" }],
        },
      ],
    };
    assert.match(checkSemantics(percentileSummed, "p", nonAdditiveFields()).join("\n"), /duration_p99_ms does not add up/);
    const lexical: Target = {
      refId: "A",
      query: "cloudflare.breakdown:status AND cloudflare.key:[500 TO 599]",
      metrics: [{ id: "1", type: "count" }],
      bucketAggs: [{ id: "2", type: "terms", field: "cloudflare.requests" }],
    };
    const typed = checkTarget(lexical, dataFields(), "t").join("\n");
    assert.match(typed, /range on cloudflare.key, a keyword/);
    assert.match(typed, /terms on cloudflare.requests \(long\)/);
  });
});

describe("data source and dashboard provisioning", () => {
  it("one data source for the data indices without the runs index, one for the runs index", () => {
    const sources = provisionedDataSources();
    const data = sources.find((d) => d.uid === "cloudflare-analytics")!;
    const runs = sources.find((d) => d.uid === "cloudflare-runs")!;
    assert.equal(data.type, "elasticsearch");
    assert.deepEqual(data.jsonData.index.split(","), ["cloudflare-*", "-cloudflare-runs-*"]);
    assert.equal(runs.jsonData.index, "cloudflare-runs-*");
    for (const d of [data, runs]) {
      assert.equal(d.jsonData.timeField, "@timestamp");
      assert.equal(d.jsonData.timeInterval, "1m", "the stored resolution is one minute");
    }
  });

  it("the dashboard provider file names a folder and a path", () => {
    const text = readFileSync(join(dashboardsDir, "provisioning", "dashboards", "cloudflare-es-exporter.yaml"), "utf8");
    assert.match(text, /type: file/);
    assert.match(text, /path: \//);
  });
});

describe("alerting", () => {
  const rules = provisionedAlertRules();

  it("six rules: stale data (zones, accounts), failing runs, gate denying, gate error, query budget", () => {
    assert.deepEqual(rules.map((r) => r.uid).sort(), [
      "cloudflare-account-data-stale",
      "cloudflare-data-stale",
      "cloudflare-gate-denying",
      "cloudflare-gate-error",
      "cloudflare-query-budget",
      "cloudflare-runs-failing",
      "cloudflare-tunnel-unhealthy",
    ]);
  });

  it("each rule's queries use declared fields on the data source they name, and its expressions refer to its queries", () => {
    const problems: string[] = [];
    for (const rule of rules) {
      const refs = new Set(rule.data.map((q) => q.refId));
      assert.ok(refs.has(rule.condition), `${rule.uid}: condition ${rule.condition}`);
      for (const q of rule.data) {
        if (q.datasourceUid === "__expr__") {
          const expression = String(q.model.expression);
          for (const [, ref] of expression.matchAll(/\$\{?(\w+)/g)) assert.ok(refs.has(ref!), `${rule.uid}: ${expression} refers to ${ref!}`);
          if (q.model.type === "math") evaluateMath(expression, Object.fromEntries([...refs].map((r) => [r, [{ labels: {}, value: 1 }]])));
          continue;
        }
        const source = sourceOf(q.datasourceUid);
        assert.ok(source, `${rule.uid}: data source ${q.datasourceUid}`);
        assert.ok(q.relativeTimeRange && q.relativeTimeRange.from > 0, `${rule.uid}/${q.refId}: relativeTimeRange`);
        const target = q.model as unknown as Target;
        problems.push(...checkTarget(target, fieldsOf(source), `${rule.uid}/${q.refId}`));
        problems.push(...checkScope(target, source, `${rule.uid}/${q.refId}`));
        // A number table needs exactly one number column: one metric, and no date histogram.
        assert.equal(target.metrics.length, 1, `${rule.uid}/${q.refId}: one metric`);
        assert.ok(!target.bucketAggs.some((b) => b.type === "date_histogram"), `${rule.uid}/${q.refId}: no date histogram`);
      }
      for (const value of Object.values(rule.labels ?? {})) assert.ok(!value.includes("$"), `${rule.uid}: labels are interpolated from the environment`);
    }
    assert.deepEqual(problems, []);
  });

  it("the stale-data rule reads the data indices, so it fires when the exporter (and its runs documents) stopped", () => {
    const stale = rules.find((r) => r.uid === "cloudflare-data-stale")!;
    assert.ok(stale.data.filter((q) => q.datasourceUid !== "__expr__").every((q) => q.datasourceUid === "cloudflare-analytics"));
    assert.equal(stale.noDataState, "Alerting");
  });

  it("the plain Elasticsearch queries use declared fields and docs/alerting.md links each of them", () => {
    const doc = readFileSync(join(repoRoot, "docs", "alerting.md"), "utf8");
    const queries = alertQueries();
    assert.deepEqual(Object.keys(queries), [
      "failing-runs.json",
      "gate-denying.json",
      "gate-error.json",
      "query-budget.json",
      "stale-data.json",
      "tunnel-unhealthy.json",
    ]);
    const problems: string[] = [];
    for (const [file, body] of Object.entries(queries)) {
      problems.push(...checkSearchBody(body, ["stale-data.json", "tunnel-unhealthy.json"].includes(file) ? dataFields() : runsFields(), file));
      assert.ok(doc.includes(`../dashboards/alerts/${file}`), `docs/alerting.md does not link ${file}`);
    }
    assert.deepEqual(problems, []);
  });
});

describe("docs", () => {
  it("docs/grafana.md links every dashboard and provisioning file", () => {
    const doc = readFileSync(join(repoRoot, "docs", "grafana.md"), "utf8");
    for (const f of readdirSync(dashboardsDir).filter((x) => x.endsWith(".json"))) assert.ok(doc.includes(`../dashboards/${f}`), f);
    for (const sub of ["datasources", "dashboards", "alerting"]) {
      for (const f of readdirSync(join(dashboardsDir, "provisioning", sub))) assert.ok(doc.includes(`../dashboards/provisioning/${sub}/${f}`), `${sub}/${f}`);
    }
  });
});

describe("emulation of Grafana's Elasticsearch data source", () => {
  const ctx = { from: 1_000_000, to: 2_000_000, intervalMs: 60_000, variables: { zone: ["shop.example", "api-1.example"] } };

  it("escapes variables for Lucene as Grafana does: one value escaped, several quoted and OR-ed, the custom All as is", () => {
    assert.equal(luceneEscape("a-b:c"), "a\\-b\\:c");
    assert.equal(luceneEscape("404"), "404");
    const t: Target = { refId: "A", query: "cloudflare.zone.name:$zone", metrics: [], bucketAggs: [] };
    assert.equal(interpolateTarget(t, ctx).query, 'cloudflare.zone.name:("shop.example" OR "api\\-1.example")');
    assert.equal(interpolateTarget(t, { ...ctx, variables: { zone: { all: "*" } } }).query, "cloudflare.zone.name:*");
    assert.equal(interpolateTarget(t, { ...ctx, variables: { zone: "x y" } }).query, "cloudflare.zone.name:x\\ y");
  });

  it("builds the request like Grafana's backend: inclusive epoch range, query_string filter, nested aggregations", () => {
    const t: Target = {
      refId: "A",
      query: "cloudflare.breakdown:status",
      metrics: [
        { id: "1", type: "sum", field: "cloudflare.requests" },
        { id: "4", type: "count" },
      ],
      bucketAggs: [
        { id: "2", type: "terms", field: "cloudflare.key", settings: { size: "0", min_doc_count: "1", orderBy: "1", order: "desc" } },
        { id: "3", type: "date_histogram", field: "@timestamp", settings: { interval: "auto", min_doc_count: "0" } },
      ],
    };
    assert.deepEqual(searchBody(t, ctx), {
      size: 0,
      query: {
        bool: {
          filter: [
            { range: { "@timestamp": { gte: 1_000_000, lte: 2_000_000, format: "epoch_millis" } } },
            { query_string: { analyze_wildcard: true, query: "cloudflare.breakdown:status" } },
          ],
        },
      },
      aggs: {
        "2": {
          terms: { field: "cloudflare.key", size: 500, min_doc_count: 1, order: { "1": "desc" } },
          aggs: {
            "1": { sum: { field: "cloudflare.requests" } },
            "3": {
              date_histogram: {
                field: "@timestamp",
                fixed_interval: "60000ms",
                min_doc_count: 0,
                extended_bounds: { min: 1_000_000, max: 2_000_000 },
                format: "epoch_millis",
              },
              aggs: { "1": { sum: { field: "cloudflare.requests" } } },
            },
          },
        },
      },
    });
  });

  it("names table columns and series like Grafana, and keyed filter buckets as the last aggregation yield no rows", () => {
    const t: Target = {
      refId: "A",
      metrics: [
        { id: "1", type: "sum", field: "cloudflare.requests" },
        { id: "2", type: "sum", field: "cloudflare.bytes" },
      ],
      bucketAggs: [
        { id: "3", type: "terms", field: "cloudflare.zone.name" },
        { id: "4", type: "terms", field: "cloudflare.key" },
      ],
    };
    const response = {
      aggregations: {
        "3": {
          buckets: [
            { key: "a", doc_count: 2, "4": { buckets: [{ key: "DE", doc_count: 1, "1": { value: 5 }, "2": { value: 50 } }] } },
            { key: "b", doc_count: 1, "4": { buckets: [{ key: "US", doc_count: 1, "1": { value: 7 }, "2": { value: 70 } }] } },
          ],
        },
      },
    };
    const [table] = parseResponse(t, response);
    assert.deepEqual(table, {
      kind: "table",
      fields: [
        { name: "cloudflare.zone.name", type: "string", values: ["a", "b"] },
        { name: "cloudflare.key", type: "string", values: ["DE", "US"] },
        { name: "Sum cloudflare.requests", type: "number", values: [5, 7] },
        { name: "Sum cloudflare.bytes", type: "number", values: [50, 70] },
      ],
    });
    const keyed: Target = {
      refId: "A",
      metrics: [{ id: "1", type: "count" }],
      bucketAggs: [{ id: "2", type: "filters", settings: { filters: [{ query: "*", label: "x" }] } }],
    };
    assert.deepEqual(parseResponse(keyed, { aggregations: { "2": { buckets: { x: { doc_count: 3 } } } } }), []);
  });

  it("reduces like a stat panel: a sum over buckets, or one value per table row", () => {
    const t: Target = {
      refId: "A",
      metrics: [{ id: "1", type: "sum", field: "cloudflare.requests" }],
      bucketAggs: [{ id: "2", type: "date_histogram", field: "@timestamp" }],
    };
    const frames = parseResponse(t, {
      aggregations: {
        "2": {
          buckets: [
            { key: 0, doc_count: 1, "1": { value: 2 } },
            { key: 60_000, doc_count: 1, "1": { value: 3 } },
          ],
        },
      },
    });
    const panel: Panel = { id: 1, type: "stat", title: "x", options: { reduceOptions: { values: false, calcs: ["sum"], fields: "" } } };
    assert.deepEqual(displayValues(panel, frames), [{ name: "Sum cloudflare.requests", value: 5 }]);
  });

  it("turns a one-number table into labelled alert values and joins them on labels in math", () => {
    const items = framesToItems([
      {
        kind: "table",
        fields: [
          { name: "zone", type: "string", values: ["a", "b"] },
          { name: "Count", type: "number", values: [3, 0] },
        ],
      },
    ]);
    const recent = framesToItems([
      {
        kind: "table",
        fields: [
          { name: "zone", type: "string", values: ["a", "b", "old"] },
          { name: "Count", type: "number", values: [1, 0, 0] },
        ],
      },
    ]);
    const result = evaluateMath("$A > 0 && $B == 0", { A: items, B: recent });
    assert.deepEqual(result, [
      { labels: { zone: "a" }, value: 0 },
      { labels: { zone: "b" }, value: 0 },
    ]);
    const fired = evaluateMath("$A > 0 && $B == 0", {
      A: [
        { labels: { zone: "a" }, value: 3 },
        { labels: { zone: "b" }, value: 1 },
      ],
      B: recent,
    });
    assert.deepEqual(
      fired.filter((i) => i.value === 1).map((i) => i.labels.zone),
      ["b"],
    );
    assert.equal(evaluateMath("$A / $B > 0.8", { A: [{ labels: {}, value: 90 }], B: [{ labels: {}, value: 100 }] })[0]!.value, 1);
  });

  it("finds the fields of Lucene queries, ranges and _exists_ included", () => {
    assert.deepEqual(luceneFields("run.kind:* AND _exists_:run.error AND NOT http.response.status_code:[200 TO 599]"), [
      { field: "run.kind", value: "*", range: false },
      { field: "run.error", value: "*", range: false },
      { field: "http.response.status_code", value: "[200 TO 599]", range: true },
    ]);
  });
});
