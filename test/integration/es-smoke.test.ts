// Throwaway check that the test harness hands us a working Elasticsearch.
import * as assert from "node:assert/strict";
import { test } from "node:test";

const url = process.env.ES_URL;
const skip = url ? false : "ES_URL is not set; run through `npm test`, which starts Elasticsearch";

test("Elasticsearch answers health and stores a document", { skip }, async () => {
  const health = (await (await fetch(`${url}/_cluster/health`)).json()) as { status: string };
  assert.ok(["green", "yellow"].includes(health.status), `cluster status is ${health.status}`);

  const index = `${url}/smoke-test`;
  const put = await fetch(`${index}/_doc/1?refresh=true`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ hello: "world" }),
  });
  assert.ok(put.ok, `PUT answered ${put.status}: ${await put.text()}`);

  try {
    const got = (await (await fetch(`${index}/_doc/1`)).json()) as { found: boolean; _source: unknown };
    assert.equal(got.found, true);
    assert.deepEqual(got._source, { hello: "world" });
  } finally {
    const del = await fetch(index, { method: "DELETE" });
    assert.ok(del.ok, `DELETE answered ${del.status}`);
  }
});
