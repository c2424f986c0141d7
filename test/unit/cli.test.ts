/**
 * The built command line as a user meets it: each command's `--help` lists exactly the flags the command reads (the
 * settings table's, plus the command's own arguments) and says where credentials and zones come from; comma lists
 * reach the loader; misspelt variables are warned about; a too short secret stops the run with exit 2.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Command, SETTINGS, type Setting } from "../../src/config/settings.js";
import { repoRoot } from "../support/paths.js";

function cli(args: readonly string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, "dist", "src", "cli.js"), ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The flags a help text lists, without yargs' own --help and --version. */
function flagsIn(help: string): string[] {
  return [...help.matchAll(/^ {2}--([a-z-]+)/gm)]
    .map((m) => m[1]!)
    .filter((f) => f !== "help" && f !== "version")
    .sort();
}

const tableFlags = (command: Command): string[] => (SETTINGS as readonly Setting[]).flatMap((s) => (s.flag && s.commands.includes(command) ? [s.flag] : []));

describe("--help", () => {
  const own: Record<Command | "simulate", string[]> = {
    run: ["dry-run", "demo"],
    backfill: ["dry-run", "from", "to"],
    bootstrap: [],
    check: [],
    verify: ["from", "to"],
    simulate: ["port"],
  };
  for (const [command, arguments_] of Object.entries(own) as [Command | "simulate", string[]][]) {
    it(`${command} --help lists exactly the flags ${command} reads`, () => {
      const { code, stdout } = cli([command, "--help"]);
      assert.equal(code, 0);
      const expected = [...(command === "simulate" ? [] : tableFlags(command)), ...arguments_].sort();
      assert.deepEqual(flagsIn(stdout), expected);
    });
  }

  it("the issue's examples: simulate shows --port and no setting, verify no --dry-run, bootstrap no --top-n, run --deadline", () => {
    assert.deepEqual(flagsIn(cli(["simulate", "--help"]).stdout), ["port"]);
    assert.ok(!flagsIn(cli(["verify", "--help"]).stdout).includes("dry-run"));
    assert.ok(!flagsIn(cli(["bootstrap", "--help"]).stdout).includes("top-n"));
    assert.ok(flagsIn(cli(["run", "--help"]).stdout).includes("deadline"));
  });

  it("a flag a command does not read is refused, not ignored", () => {
    const { code, stderr } = cli(["bootstrap", "--top-n", "5"]);
    assert.equal(code, 2);
    assert.match(stderr, /Unknown argument.*top-n/);
  });

  for (const args of [["--help"], ["run", "--help"], ["backfill", "--help"], ["check", "--help"], ["verify", "--help"]]) {
    it(`${args.join(" ")} says where credentials and zones come from`, () => {
      const help = cli(args).stdout.replace(/\s+/g, " "); // yargs wraps at the terminal's width
      assert.match(help, /Credentials are never flags: set them in the environment, or set <NAME>_FILE to the path of a mounted file/);
      for (const name of [
        "CF_API_TOKEN (or _FILE)",
        "ES_API_KEY (or _FILE)",
        "ES_PASSWORD (or _FILE)",
        "CF_ZONES, cloudflare.zones",
        "CF_ACCOUNTS, cloudflare.accounts",
      ])
        assert.ok(help.includes(name), `${args.join(" ")} names ${name}`);
      assert.match(help, /Zones and accounts are never flags either/);
    });
  }

  it("bootstrap never calls Cloudflare: its help names the Elasticsearch credentials only", () => {
    const help = cli(["bootstrap", "--help"]).stdout;
    assert.ok(help.includes("ES_API_KEY (or _FILE)"));
    assert.ok(!help.includes("CF_API_TOKEN") && !help.includes("CF_ZONES"), help);
  });

  it("the top level points to each command's --help", () => {
    assert.match(cli(["--help"]).stdout, /cloudflare-es-exporter <command> --help` lists the flags a command reads/);
  });
});

describe("the command line reaching the loader", () => {
  it("run --dataset a,b runs exactly those datasets, and a misspelt CF_ variable is warned about", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfe-cli-"));
    try {
      const { code, stdout, stderr } = cli(["run", "--demo", "--dry-run", "--output", dir, "--dataset", "http_requests,dns"], {
        CF_ZONEZ: "x",
        LOG_FORMAT: "json",
      });
      assert.equal(code, 0, stderr);
      const planned = new Set([...stdout.matchAll(/^ {2}([a-z_0-9]+) demo-/gm)].map((m) => m[1]));
      assert.deepEqual([...planned].sort(), ["dns", "http_requests"]);
      assert.match(stderr, /"level":"warn","message":"CF_ZONEZ is not a setting of this exporter; did you mean CF_ZONES\?"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a misspelt name in a comma list is named alone, with a suggestion (exit 2)", () => {
    const { code, stderr } = cli(["run", "--dataset", "http_requests,dnss"], { CF_API_TOKEN: "cf-token-0001", CF_ZONES: "z1=example.com", LOG_FORMAT: "text" });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--dataset = "dnss": is not a known dataset; fix: did you mean dns\?/);
  });

  it("backfill --zone a,b narrows to both, and an unknown one in the list is named", () => {
    const env = { CF_API_TOKEN: "cf-token-0001", CF_ZONES: "z1=one.example,z2=two.example", LOG_FORMAT: "text" };
    const { code, stderr } = cli(["backfill", "--from", "2026-11-01T00:00Z", "--to", "2026-11-01T01:00Z", "--zone", "z1,zz"], env);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--zone = "zz": is not one of the configured zones/);
    assert.ok(!stderr.includes('"z1'), stderr);
  });

  it("CF_API_TOKEN=x stops before any work with exit 2, naming the variable and never its value", () => {
    const { code, stderr } = cli(["run"], { CF_API_TOKEN: "x", CF_ZONES: "z1=example.com", ES_URL: "http://127.0.0.1:9", LOG_FORMAT: "text" });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /CF_API_TOKEN = <redacted>: is shorter than 8 characters, too short to keep out of logs safely; fix: /);
  });
});
