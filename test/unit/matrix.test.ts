/** Which dataset runs where: the decisions `check`, `--dry-run` and the run share. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Owner } from "../../src/datasets/dataset.js";
import { firewallEvents } from "../../src/datasets/firewall-events.js";
import { httpOrigin } from "../../src/datasets/http-origin.js";
import { httpOverview } from "../../src/datasets/http-overview.js";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { datasets, snapshotDatasets } from "../../src/datasets/index.js";
import { DATASET_NAMES } from "../../src/datasets/index.js";
import { decide, selectDatasets, selectSnapshots } from "../../src/matrix.js";
import type { DatasetLimits } from "../../src/plan.js";

const zone: Owner = { scope: "zone", id: "z", name: "example.com" };
const limits = (over: Partial<DatasetLimits> = {}): DatasetLimits => ({
  enabled: true,
  maxDurationSeconds: 86400,
  notOlderThanSeconds: 8 * 86400,
  maxPageSize: 10_000,
  availableFields: new Set(),
  ...over,
});

describe("decide", () => {
  it("turns a dataset off where the plan does not include its node, saying why", () => {
    const d = decide(firewallEvents, zone, new Map([["firewallEventsAdaptiveGroups", limits({ enabled: false })]]), false);
    assert.equal(d.on, false);
    assert.equal(d.quiet, false);
    assert.match(d.reason, /plan does not include firewallEventsAdaptiveGroups/);
  });

  it("turns everything off for an owner Cloudflare returned no settings for", () => {
    const d = decide(httpRequests, zone, undefined, false);
    assert.equal(d.on, false);
    assert.match(d.reason, /no settings.*token covers it/);
  });

  it("runs the Free stand-in only where the exact per-minute rollup is off, or when named", () => {
    const free = new Map([
      ["httpRequestsOverviewAdaptiveGroups", limits()],
      ["httpRequests1mGroups", limits({ enabled: false })],
    ]);
    const paid = new Map([
      ["httpRequestsOverviewAdaptiveGroups", limits()],
      ["httpRequests1mGroups", limits()],
    ]);
    assert.equal(decide(httpOverview, zone, free, false).on, true);
    const quiet = decide(httpOverview, zone, paid, false);
    assert.equal(quiet.on, false);
    assert.equal(quiet.quiet, true, "a stand-in that is not needed is no warning");
    assert.equal(decide(httpOverview, zone, paid, true).on, true);
  });

  it("leaves out optional fields the plan does not list, and says so", () => {
    const available = new Set(httpOrigin.requiredFields);
    const d = decide(httpOrigin, zone, new Map([["httpRequestsAdaptiveGroups", limits({ availableFields: available })]]), false);
    assert.equal(d.on, true);
    assert.deepEqual([...d.omit].sort(), [...httpOrigin.optionalFields].sort());
    assert.match(d.reason, /without quantiles_originResponseDurationMsP50/);
  });

  it("turns a dataset off when the plan refuses a field it cannot do without", () => {
    const available = new Set([...httpOrigin.requiredFields.filter((f) => f !== "dimensions_originResponseStatus"), ...httpOrigin.optionalFields]);
    const d = decide(httpOrigin, zone, new Map([["httpRequestsAdaptiveGroups", limits({ availableFields: available })]]), false);
    assert.equal(d.on, false);
    assert.match(d.reason, /does not offer dimensions_originResponseStatus/);
  });

  it("ignores an availableFields list that does not mention the dataset's fields at all (unknown format)", () => {
    const d = decide(httpOrigin, zone, new Map([["httpRequestsAdaptiveGroups", limits({ availableFields: new Set(["something.else"]) })]]), false);
    assert.equal(d.on, true);
    assert.equal(d.omit.size, 0);
  });
});

describe("selectDatasets", () => {
  const OPT_IN = ["http_paths", "http_origin_colo", "http_asn", "http_bots"];
  /** The GraphQL datasets' names; the snapshot datasets (tunnels) are chosen by selectSnapshots. */
  const GRAPHQL_NAMES = datasets.map((d) => d.name);

  it("runs every dataset but the opt-in ones by default, and only the named datasets when configured, in the registry's order", () => {
    assert.deepEqual(
      selectDatasets(datasets, undefined).map((d) => d.name),
      GRAPHQL_NAMES.filter((n) => !OPT_IN.includes(n)),
    );
    assert.deepEqual(
      selectDatasets(datasets, ["dns", "http_requests"]).map((d) => d.name),
      ["http_requests", "dns"],
    );
  });

  it("runs an opt-in dataset when named; `default` adds the default set, `all` takes every dataset", () => {
    assert.deepEqual(
      datasets.filter((d) => d.optIn).map((d) => d.name),
      OPT_IN,
    );
    assert.deepEqual(
      selectDatasets(datasets, ["http_paths"]).map((d) => d.name),
      ["http_paths"],
    );
    const withPaths = selectDatasets(datasets, ["default", "http_paths"]).map((d) => d.name);
    assert.deepEqual(
      withPaths,
      GRAPHQL_NAMES.filter((n) => !OPT_IN.includes(n) || n === "http_paths"),
    );
    assert.equal(selectDatasets(datasets, ["all"]).length, datasets.length);
  });

  it("knows every dataset by the names configuration accepts", () => {
    assert.deepEqual(
      [...datasets, ...snapshotDatasets].map((d) => d.name),
      [...DATASET_NAMES],
    );
  });

  it("snapshot datasets (tunnels) are in the default set: on unless a datasets list leaves them out", () => {
    assert.deepEqual(
      selectSnapshots(undefined).map((d) => d.name),
      ["tunnels"],
    );
    assert.deepEqual(
      selectSnapshots(["http_requests", "tunnels"]).map((d) => d.name),
      ["tunnels"],
    );
    assert.deepEqual(selectSnapshots(["http_requests"]), []);
    assert.deepEqual(
      selectSnapshots(["default"]).map((d) => d.name),
      ["tunnels"],
      "tunnels is in the default set",
    );
    assert.deepEqual(
      selectSnapshots(["all"]).map((d) => d.name),
      ["tunnels"],
    );
  });
});
