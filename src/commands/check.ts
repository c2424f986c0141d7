/**
 * `check`: one line per prerequisite (config, Cloudflare, the zone x dataset matrix with each one's limits,
 * Elasticsearch, ILM, privileges).
 */
import { describeDiscovery } from "../cloudflare/discovery.js";
import { CloudflareError } from "../cloudflare/errors.js";
import { ConfigError } from "../config/errors.js";
import { datasetsOf } from "../datasets/index.js";
import { declaredDataset } from "../datasets/declared/dataset.js";
import { fieldList } from "../datasets/fields-doc.js";
import { selectDatasets, selectSnapshots } from "../matrix.js";
import { checkSnapshots } from "../snapshots.js";
import { maxWindowMinutes } from "../plan.js";
import { RunClock } from "../deadline.js";
import type { CloudflareClient } from "../cloudflare/client.js";
import type { Dataset } from "../datasets/dataset.js";
import type { Decision } from "../matrix.js";
import { catchUp, decideAll, planRun, type RunPlan } from "../run-plan.js";
import { knowBudget } from "../run.js";
import { DAY, MINUTE } from "../time.js";
import { EXIT, ExporterError } from "../errors.js";
import { askGate } from "../gate.js";
import { ilmAvailable } from "../sinks/elasticsearch/bootstrap.js";
import { createElasticsearchClient, describeEsError } from "../sinks/elasticsearch/client.js";
import { esFailure } from "../sinks/elasticsearch/errors.js";
import { closeContext, createCloudflare, createContext, createSink, resolveOwners, type Context, type Io } from "./context.js";

type Line = { ok: boolean | "info"; text: string };

export async function checkCommand(flags: Record<string, unknown>, rawIo: Io): Promise<number> {
  let ctx = createContext(flags, rawIo);
  const { io } = ctx;
  let config = ctx.config;
  const discovering = config.cloudflare.zones.length === 0 && config.cloudflare.accounts.length === 0;
  const owners = discovering
    ? `zones and accounts discovered through ${config.cloudflare.restUrl ?? "CF_REST_URL"}`
    : `${config.cloudflare.zones.length} zones, ${config.cloudflare.accounts.length} accounts`;
  const lines: Line[] = [{ ok: true, text: `configuration valid: ${owners}, Cloudflare ${config.cloudflare.apiUrl}` }];
  let misconfigured = false;
  const print = (line: Line): void => {
    io.stdout.write(`${line.ok === "info" ? "info" : line.ok ? " ok " : "FAIL"}  ${line.text}\n`);
  };
  print(lines[0]!);
  // What a declared dataset stores, derived from its declaration (docs/fields.md cannot list it).
  for (const declared of config.customDatasets.map(declaredDataset)) {
    lines.push({ ok: "info", text: `declared dataset ${declared.name} (${declared.scope} ${declared.node}): ${fieldList(declared)}` });
    print(lines.at(-1)!);
  }
  const add = (line: Line): void => {
    lines.push(line);
    print(line);
  };

  if (config.gate.uri) {
    const gate = await askGate(config.gate);
    if (gate.error) add({ ok: false, text: `gate: ${gate.reason} (runs here would fail closed and exit 1); fix: ${gate.error.fix}` });
    else add({ ok: gate.allowed ? true : "info", text: `gate: ${gate.reason}${gate.allowed ? "" : " (runs here would exit 0 without work)"}` });
  }

  try {
    const chosen = selectDatasets(datasetsOf(config), config.datasets);
    // Bounded like a run (RUN_DEADLINE_SECONDS, else two minutes): a Cloudflare that never answers is a finding.
    const clock = new RunClock(config.run.deadlineSeconds ?? 120);
    const resolved = await resolveOwners(ctx, flags, clock);
    if (resolved.discovery) add({ ok: true, text: describeDiscovery(resolved.discovery) });
    ctx = resolved.ctx;
    config = ctx.config;
    const cloudflare = createCloudflare(ctx, clock);
    const decisions = await decideAll({ config, cloudflare, datasets: chosen });
    add({ ok: true, text: "Cloudflare reachable and credentials accepted" });
    // The plan a run would make now, as `run --dry-run` makes it (when what is stored can be read).
    const plan = await planNow(ctx, cloudflare, chosen, decisions, clock).finally(() => clock.dispose());
    let steady = 0;
    /** Per zone and account: what account-based rate limiting charges each. */
    const steadyOf = new Map<string, number>();
    for (const d of decisions) {
      const where = `${d.owner.scope} ${d.owner.name} ${d.dataset.name}`;
      if (!d.limits && !d.on) {
        add({ ok: false, text: `${where}: ${d.reason}` });
        continue;
      }
      if (!d.on) {
        add({ ok: "info", text: `${where}: off, ${d.reason}` });
        continue;
      }
      const l = d.limits!;
      // Depth: minute datasets look back MAX_BACKFILL_DAYS at most, coarser ones as far as Cloudflare keeps them.
      const days = Math.min(l.notOlderThanSeconds / 86400, d.dataset.unit === MINUTE ? config.window.maxBackfillDays : Number.POSITIVE_INFINITY);
      const windowMinutes = maxWindowMinutes(l, d.dataset.unit, d.dataset.rowsPerUnit);
      if (d.dataset.unit === MINUTE) {
        steady++;
        steadyOf.set(d.owner.id, (steadyOf.get(d.owner.id) ?? 0) + 1);
      }
      const planned = plan?.reports.find((r) => r.owner.id === d.owner.id && r.dataset === d.dataset.name)?.planned;
      add({
        ok: true,
        text:
          `${where}: on${d.reason ? ` (${d.reason})` : ""}, ${d.dataset.sampled ? "sampled" : "exact"}, depth ${days.toFixed(1)} d, windows of ${formatMinutes(windowMinutes)}, ` +
          `${planned ? `${planned.queries} queries to catch up now` : "catch-up unknown (what is stored could not be read)"}, then ${d.dataset.unit === MINUTE ? "1 per run" : `about 4 per ${d.dataset.unit === DAY ? "day" : "hour"}`} (maxDuration ${l.maxDurationSeconds}s, notOlderThan ${l.notOlderThanSeconds}s, maxPageSize ${l.maxPageSize})`,
      });
    }
    for (const line of await checkSnapshots(config, selectSnapshots(config.datasets), clock)) add(line);
    if (plan) {
      const queries = plan.requests.reduce((n, r) => n + r.items.length, 0);
      add({
        ok: "info",
        text: `catching up now: ${plan.requests.length} requests, ${queries} queries; ${catchUp(plan.requests, cloudflare.budget)}`,
      });
    }
    const notNamed = datasetsOf(config)
      .filter((d) => d.optIn && !chosen.includes(d))
      .map((d) => d.name);
    if (notNamed.length > 0) add({ ok: "info", text: `opt-in, not named in CF_DATASETS: ${notNamed.join(", ")} (add them, or \`all\`, to run them)` });
    const budget = config.cloudflare.queryBudget;
    const most = Math.max(0, ...steadyOf.values());
    add({
      ok: "info",
      text:
        config.cloudflare.rateLimit === "account-based"
          ? `a run with nothing to catch up costs about ${steady} queries, ${most} at most for one zone or account (${((100 * most) / budget).toFixed(1)} % of the share of ${budget} per 5 minutes each has of its own budget, account-based; hourly and daily datasets add a few when an hour or day is due)`
          : `a run with nothing to catch up costs about ${steady} queries (${((100 * steady) / budget).toFixed(1)} % of the budget of ${budget} per 5 minutes; hourly and daily datasets add a few when an hour or day is due)`,
    });
  } catch (error) {
    // Filters that match nothing, credentials that can list nothing: a configuration error, exit 2 once all is checked.
    misconfigured = error instanceof ConfigError;
    const text =
      error instanceof ConfigError
        ? `discovery: ${error.message}`
        : error instanceof CloudflareError
          ? `Cloudflare: ${error.message}`
          : `Cloudflare: ${String(error)}`;
    add({ ok: false, text: error instanceof ExporterError && error.fix && !text.includes(error.fix) ? `${text}; fix: ${error.fix}` : text });
  }

  if (config.output) add({ ok: "info", text: `output: NDJSON files in ${config.output} (Elasticsearch not used)` });
  else if (!config.elasticsearch.url) add({ ok: false, text: "Elasticsearch: ES_URL is not set (or pass --output <dir>)" });
  else {
    // A prerequisite check answers in seconds: a cluster that does not is a finding, not something to wait out.
    const es = createElasticsearchClient({ ...config.elasticsearch, url: config.elasticsearch.url }, { requestTimeoutMs: 10_000, maxRetries: 1 });
    const origin = new URL(config.elasticsearch.url).origin;
    try {
      const health = await es.cluster.health();
      add({ ok: true, text: `Elasticsearch reachable: cluster ${health.cluster_name}, status ${health.status}` });
      const ilm = await ilmAvailable(es);
      add({ ok: "info", text: ilm ? "index lifecycle management (ILM) available" : "ILM not available: retention will not be enforced by the cluster" });
      add(await privileges(es, config.elasticsearch.indexPrefix, ilm, origin));
    } catch (error) {
      const failure = esFailure(error, "checking the cluster", origin);
      add({ ok: false, text: `${failure.message}${failure.fix ? `; fix: ${failure.fix}` : ""}` });
    } finally {
      await es.close();
    }
  }
  await closeContext(ctx);
  if (misconfigured) return EXIT.usage;
  return lines.some((l) => l.ok === false) ? EXIT.failed : EXIT.ok;
}

/** The run's plan at this instant, or undefined when the destination cannot be read. */
async function planNow(
  ctx: Context,
  cloudflare: CloudflareClient,
  chosen: readonly Dataset[],
  decisions: readonly Decision[],
  clock: RunClock,
): Promise<RunPlan | undefined> {
  const { config } = ctx;
  if (!config.output && !config.elasticsearch.url) return undefined;
  try {
    const sink = createSink(ctx, undefined, clock);
    await knowBudget({ config, sink, cloudflare }, { now: Date.now() });
    return await planRun({ config, sink, cloudflare, datasets: chosen, log: ctx.log }, { mode: "run", dryRun: true, now: Date.now() }, decisions);
  } catch {
    return undefined; // said by the Elasticsearch lines below
  }
}

async function privileges(es: ReturnType<typeof createElasticsearchClient>, prefix: string, ilm: boolean, origin: string): Promise<Line> {
  try {
    const answer = await es.security.hasPrivileges({
      cluster: ["manage_index_templates", "monitor", ...(ilm ? ["manage_ilm"] : [])],
      index: [{ names: [`${prefix}-*`], privileges: ["create_index", "index", "read", "view_index_metadata", "manage"] }],
    });
    if (answer.has_all_requested) return { ok: true, text: `write privileges on ${prefix}-* and template management granted` };
    const missing = [
      ...Object.entries(answer.cluster)
        .filter(([, v]) => !v)
        .map(([k]) => `cluster:${k}`),
      ...Object.values(answer.index).flatMap((p) =>
        Object.entries(p)
          .filter(([, v]) => !v)
          .map(([k]) => `index:${k}`),
      ),
    ];
    return { ok: false, text: `missing privileges: ${missing.join(", ")}` };
  } catch (error) {
    const text = describeEsError(error);
    if (/security.*(not enabled|disabled)|no handler found|400/i.test(text))
      return { ok: "info", text: "security is off on this cluster: privileges not checked" };
    const failure = esFailure(error, "checking privileges", origin);
    return { ok: false, text: `privileges: ${text}${failure.fix ? `; fix: ${failure.fix}` : ""}` };
  }
}

function formatMinutes(minutes: number): string {
  return minutes % 1440 === 0 ? `${minutes / 1440} d` : minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}
