/** Request paths as breakdown keys: ids collapsed to placeholders (the README's rule), prefixes for user breakdowns. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { collapsePath, isRealPath, pathPrefix } from "../../src/datasets/paths.js";

describe("collapsePath", () => {
  const cases: [string, string][] = [
    ["/orders/48213", "/orders/{num}"],
    ["/orders/48213/items/7", "/orders/{num}/items/{num}"],
    ["/api/v1/orders/77bfb1ec-6c26-411b-a258-7871f720942a", "/api/v1/orders/{uuid}"],
    ["/API/V1/ORDERS/77BFB1EC-6C26-411B-A258-7871F720942A", "/API/V1/ORDERS/{uuid}"],
    ["/u/183ac0d027c374333c3e50bb/avatar.png", "/u/{hex}/avatar.png"],
    ["/blob/0123456789abcdef", "/blob/{hex}"],
    // Fewer than 16 hex digits, ids inside a segment, versions and words stay.
    ["/blob/0123456789abcde", "/blob/0123456789abcde"],
    ["/static/app.3f9a8c7d.js", "/static/app.3f9a8c7d.js"],
    ["/api/v1/users", "/api/v1/users"],
    ["/decaf/cafe", "/decaf/cafe"],
    ["/", "/"],
    ["", ""],
    ["/trailing/12/", "/trailing/{num}/"],
  ];
  for (const [path, pattern] of cases) it(`${JSON.stringify(path)} -> ${JSON.stringify(pattern)}`, () => assert.equal(collapsePath(path), pattern));

  it("says which patterns are real paths (nothing collapsed), the only ones fit for ECS url.path", () => {
    assert.equal(isRealPath("/api/v1/users"), true);
    assert.equal(isRealPath("/orders/{num}"), false);
    assert.equal(isRealPath("/u/{hex}/avatar.png"), false);
  });
});

describe("pathPrefix", () => {
  const cases: [string, number, string][] = [
    ["/static/js/app.js", 1, "/static/*"],
    ["/static/js/app.js", 2, "/static/js/*"],
    ["/static/js/app.js", 3, "/static/js/app.js"],
    ["/about", 1, "/about"],
    ["/", 1, "/"],
    ["/static/", 1, "/static/*"],
  ];
  for (const [path, n, prefix] of cases) it(`${path} with ${n} -> ${prefix}`, () => assert.equal(pathPrefix(path, n), prefix));
});
