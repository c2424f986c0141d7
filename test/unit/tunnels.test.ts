import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tunnelOf } from "../../src/cloudflare/tunnels.js";
import { leafPaths, toSource } from "../../src/datasets/document.js";
import { mergeFields } from "../../src/datasets/fields.js";
import { DATASET_NAMES } from "../../src/datasets/index.js";
import { flattenTunnels, statusCode, tunnels, type ListedTunnel } from "../../src/datasets/tunnels.js";
import { mappingProperties } from "../../src/sinks/mapping.js";

const account = { scope: "account" as const, id: "acc0000000000000000000000000001", name: "acme" };
const minute = Date.parse("2026-12-06T05:42:00Z");
const listed: ListedTunnel[] = [
  {
    id: "c1744f8b-faa1-48a4-9e5c-02ac921467fa",
    name: "web",
    status: "healthy",
    connections: [
      { colo: "FRA", pendingReconnect: false },
      { colo: "AMS", pendingReconnect: false },
      { colo: "FRA", pendingReconnect: true },
    ],
  },
  { id: "0e4ad9a5-4fbd-4a39-8b0a-2f6a1c7f1d10", name: "db", status: "down", connections: [] },
  { id: "7f2d6c1e-9a1b-4c8e-b0f3-5d4e3c2b1a00", name: "new", status: "inactive", connections: [] },
];

describe("tunnels: flattening a snapshot", () => {
  const { entries, totals } = flattenTunnels(listed, account, minute);

  it("one entry per tunnel with its status, connections, pending reconnects and data centres", () => {
    assert.equal(entries.length, 3);
    const web = entries[0]!.fields;
    assert.equal(web["cloudflare.breakdown"], "tunnel");
    assert.equal(web["cloudflare.key"], listed[0]!.id);
    assert.equal(web["cloudflare.tunnel.id"], listed[0]!.id);
    assert.equal(web["cloudflare.tunnel.name"], "web");
    assert.equal(web["cloudflare.tunnel.status"], "healthy");
    assert.equal(web["cloudflare.tunnel.status_code"], 0);
    assert.equal(web["cloudflare.tunnel.connections"], 3);
    assert.equal(web["cloudflare.tunnel.pending_reconnect"], 1);
    assert.deepEqual(web["cloudflare.tunnel.colos"], ["AMS", "FRA"]);
    assert.equal(web["cloudflare.account.id"], account.id);
    assert.equal(web["event.dataset"], "cloudflare.tunnels");
    const db = entries[1]!.fields;
    assert.equal(db["cloudflare.tunnel.status_code"], 3);
    assert.equal(db["cloudflare.tunnel.connections"], 0);
    assert.equal("cloudflare.tunnel.colos" in db, false, "no data centre: no field rather than an empty list");
  });

  it("a total per account and minute counts tunnels by status and adds up the entries' connections", () => {
    assert.equal(totals.length, 1);
    const t = totals[0]!.fields;
    assert.equal(t["cloudflare.breakdown"], "total");
    assert.equal(t["cloudflare.tunnel.count"], 3);
    assert.deepEqual(
      [t["cloudflare.tunnel.healthy"], t["cloudflare.tunnel.degraded"], t["cloudflare.tunnel.down"], t["cloudflare.tunnel.inactive"]],
      [1, 0, 1, 1],
    );
    assert.equal(t["cloudflare.tunnel.connections"], 3);
    assert.equal(t["cloudflare.tunnel.pending_reconnect"], 1);
  });

  it("every document is stamped with the minute and has an id made of dataset, account, minute and key: a rerun gives the same ids", () => {
    for (const d of [...entries, ...totals]) {
      assert.equal(d.timestamp, minute);
      assert.equal(d.fields["@timestamp"], "2026-12-06T05:42:00.000Z");
      assert.equal(d.dataset, "tunnels");
    }
    assert.equal(entries[0]!.id, `tunnels|${account.id}|2026-12-06T05:42|tunnel|${listed[0]!.id}`);
    const again = flattenTunnels(listed, account, minute);
    assert.deepEqual(
      [...again.entries, ...again.totals].map((d) => d.id),
      [...entries, ...totals].map((d) => d.id),
    );
    const later = flattenTunnels(listed, account, minute + 60_000);
    assert.notEqual(later.totals[0]!.id, totals[0]!.id);
  });

  it("an account without tunnels still gets its total (the snapshot says: none)", () => {
    const empty = flattenTunnels([], account, minute);
    assert.equal(empty.entries.length, 0);
    assert.equal(empty.totals[0]!.fields["cloudflare.tunnel.count"], 0);
  });

  it("documents carry declared fields only, and the mapping makes the data centres a keyword", () => {
    const declared = new Set(mergeFields([tunnels.fields]).map((f) => f.name));
    for (const d of [...entries, ...totals]) for (const path of leafPaths(toSource(d.fields))) assert.ok(declared.has(path), `undeclared field ${path}`);
    const props = mappingProperties(mergeFields([tunnels.fields]));
    assert.equal(props.cloudflare?.properties?.tunnel?.properties?.colos?.type, "keyword");
    assert.equal(props.cloudflare?.properties?.tunnel?.properties?.id?.time_series_dimension, true);
  });

  it("statuses rank by severity; an unknown one is -1, kept rather than dropped", () => {
    assert.deepEqual(["healthy", "inactive", "degraded", "down", "rebooting"].map(statusCode), [0, 1, 2, 3, -1]);
  });

  it("tunnels is a dataset name CF_DATASETS accepts", () => {
    assert.ok(DATASET_NAMES.includes("tunnels"));
  });
});

describe("tunnels: a listed tunnel as Cloudflare sends it", () => {
  it("keeps id, name, status and each connection's colo and pending reconnect", () => {
    const t = tunnelOf(
      {
        id: "c1744f8b-faa1-48a4-9e5c-02ac921467fa",
        account_tag: "acc",
        name: "web",
        status: "degraded",
        tun_type: "cfd_tunnel",
        connections: [
          { colo_name: "DFW", uuid: "x", is_pending_reconnect: false, client_version: "2024.1.0" },
          { colo_name: "", is_pending_reconnect: true },
        ],
      },
      "item 1",
    );
    assert.deepEqual(t, {
      id: "c1744f8b-faa1-48a4-9e5c-02ac921467fa",
      name: "web",
      status: "degraded",
      connections: [
        { colo: "DFW", pendingReconnect: false },
        { colo: undefined, pendingReconnect: true },
      ],
    });
  });
  it("no connections field (deprecated in the list) is no connection", () => {
    assert.deepEqual(tunnelOf({ id: "a-1", name: "n", status: "down", connections: null }, "item").connections, []);
  });
  it("refuses what is not a tunnel, naming where", () => {
    assert.throws(() => tunnelOf({ id: "a b", name: "n", status: "down" }, "page 1, item 2"), /page 1, item 2: id "a b" is not a tunnel id/);
    assert.throws(() => tunnelOf({ id: "a", name: "n" }, "item 3"), /item 3: status is not a non-empty text/);
    assert.throws(() => tunnelOf({ id: "a", name: "n", status: "down", connections: {} }, "item 4"), /connections is not a list/);
  });
});
