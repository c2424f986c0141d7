/**
 * Against a second Elasticsearch with security on: the role the README gives users is enough to run, `check` tells a
 * missing privilege, a refused password fails the run with a message, and no password reaches any output.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@elastic/elasticsearch";
import { stringify } from "yaml";
import type { Simulator } from "../../simulator/index.js";
import { startElasticsearch, type RunningElasticsearch } from "../../scripts/elasticsearch.js";
import { cli, differences, expectedRange, exporterEnv, simulator } from "../support/harness.js";
import { repoRoot } from "../support/paths.js";

const NOW = Date.parse("2026-11-17T10:00:00Z");
const now = ["--now", new Date(NOW).toISOString()];
const PREFIX = "it-sec";
const ADMIN = { username: "admin", password: "admin-Secret-0001", roles: ["superuser"] };
const WRITER = { username: "exporter", password: "exporter-Secret-7719", roles: ["cloudflare_exporter"] };
const READER = { username: "reader", password: "reader-Secret-4242", roles: ["cloudflare_reader"] };
const skip = process.env.ES_STARTED_BY_TESTS === "1" ? false : "needs `npm test` to start Elasticsearch itself (it then starts a second one with security on)";

describe("Elasticsearch with security on", { skip }, () => {
  let es: RunningElasticsearch;
  let admin: Client;
  let sim: Simulator;
  let dir: string;

  before(async () => {
    // The role exactly as the README tells users to create it, for this test's index prefix.
    const role = JSON.parse(readFileSync(join(repoRoot, "docs", "elasticsearch-role.json"), "utf8").replaceAll("cloudflare-*", `${PREFIX}-*`));
    const rolesYml = stringify({
      cloudflare_exporter: role,
      cloudflare_reader: { cluster: ["monitor"], indices: [{ names: [`${PREFIX}-*`], privileges: ["read"] }] },
    });
    es = await startElasticsearch({ heap: "512m", security: { users: [ADMIN, WRITER, READER], rolesYml } });
    admin = new Client({ node: es.url, auth: { username: ADMIN.username, password: ADMIN.password } });
    sim = await simulator({ now: () => NOW });
    dir = mkdtempSync(join(tmpdir(), "cfee-secrets-"));
  });
  after(async () => {
    await sim?.close();
    await admin?.close();
    await es?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string>) => ({ ...exporterEnv(sim, PREFIX), ES_URL: es.url, ...extra });
  const leaks = (output: string) => [ADMIN, WRITER, READER].filter((u) => output.includes(u.password)).map((u) => u.username);

  it("the documented role is enough: exact figures, password from a mounted file, nothing leaked", async () => {
    const passwordFile = join(dir, "es-password");
    writeFileSync(passwordFile, `${WRITER.password}\n`);
    const result = await cli(["run", ...now], env({ ES_USER: WRITER.username, ES_PASSWORD_FILE: passwordFile, LOG_LEVEL: "debug" }));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(leaks(result.stdout + result.stderr), []);
    assert.deepEqual(await differences(admin, PREFIX, expectedRange(NOW)), []);
  });

  it("check confirms the privileges of the documented role and names those a weaker user lacks", async () => {
    const writer = await cli(["check"], env({ ES_USER: WRITER.username, ES_PASSWORD: WRITER.password }));
    assert.equal(writer.code, 0, writer.stdout + writer.stderr);
    assert.match(writer.stdout, /^ ok   write privileges on it-sec-\* and template management granted$/m);
    const reader = await cli(["check"], env({ ES_USER: READER.username, ES_PASSWORD: READER.password }));
    assert.equal(reader.code, 1);
    assert.match(reader.stdout, /^FAIL  missing privileges: .*cluster:manage_index_templates.*index:create_index/m);
    assert.deepEqual(leaks(writer.stdout + writer.stderr + reader.stdout + reader.stderr), []);
  });

  it("a refused password fails the run with a message naming the cause, and never shows the password", async () => {
    const wrong = "not-the-Password-5150";
    const result = await cli(["run", ...now], env({ ES_USER: WRITER.username, ES_PASSWORD: wrong }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /401|security_exception|unable to authenticate/i);
    assert.ok(!(result.stdout + result.stderr).includes(wrong));
    // The real cluster's refusal, as the one JSON line a CronJob's log ends with.
    const fatal = JSON.parse(result.stderr.trimEnd().split("\n").at(-1)!) as Record<string, unknown>;
    assert.deepEqual([fatal["level"], fatal["service"], fatal["kind"], fatal["exitCode"]], ["error", "elasticsearch", "auth", 1]);
    assert.match(String(fatal["fix"]), /ES_USER and ES_PASSWORD/);
  });
});
