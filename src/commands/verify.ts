/**
 * `verify --from --to`: per dataset, print the comparison with Cloudflare's coarser rollup (hours for minutes, days
 * for hours) and the breakdown checks; exit 1 on any mismatch. Verifies `http_requests` unless `--dataset` names others.
 */
import { describeDiscovery } from "../cloudflare/discovery.js";
import { datasets } from "../datasets/index.js";
import type { Dataset } from "../datasets/dataset.js";
import { selectDatasets } from "../matrix.js";
import { EXIT, UsageError } from "../errors.js";
import { ownersOf } from "../run-plan.js";
import { createElasticsearchClient } from "../sinks/elasticsearch/client.js";
import { esFailure, isEsClientError } from "../sinks/elasticsearch/errors.js";
import { iso, parseInstant, unitName as unitOf } from "../time.js";
import { verify, wholeHours } from "../verify.js";
import { createCloudflare, createContext, resolveOwners, type Io } from "./context.js";

export async function verifyCommand(flags: Record<string, unknown>, from: string, to: string, rawIo: Io): Promise<number> {
  const range = { from: parseInstant(from) ?? Number.NaN, to: parseInstant(to) ?? Number.NaN };
  if (!Number.isFinite(range.from) || !Number.isFinite(range.to)) throw new UsageError("--from and --to must be ISO-8601 times, e.g. 2026-11-01T00:00Z");
  const loaded = createContext(flags, rawIo);
  if (!loaded.config.elasticsearch.url) throw new UsageError("verify reads Elasticsearch: set ES_URL");
  const { ctx, discovery } = await resolveOwners(loaded, flags);
  if (discovery) ctx.log.info(describeDiscovery(discovery));
  const { io } = ctx;
  const chosen = selectDatasets(datasets, ctx.config.datasets ?? ["http_requests"]);
  const esUrl = loaded.config.elasticsearch.url;
  const es = createElasticsearchClient({ ...ctx.config.elasticsearch, url: esUrl });
  const origin = new URL(esUrl).origin;
  const out = (line: string): boolean => io.stdout.write(`${line}\n`);
  try {
    let good = true;
    for (const dataset of chosen) good = (await verifyDataset(dataset)) && good;
    return good ? EXIT.ok : EXIT.failed;
  } finally {
    await es.close();
  }

  async function verifyDataset(dataset: Dataset): Promise<boolean> {
    const unit = dataset.rollup?.unit ?? dataset.unit;
    const whole = wholeHours(range, unit);
    const unitName = unitOf(unit);
    if (whole.from >= whole.to) throw new UsageError(`[${from}, ${to}) holds no whole ${unitName}; verify compares whole UTC ${unitName}s`);
    const owners = ownersOf(ctx.config, dataset.scope);
    const result = await verify({ es, cloudflare: createCloudflare(ctx), dataset, indexPrefix: ctx.config.elasticsearch.indexPrefix }, owners, whole).catch(
      (error: unknown) => {
        // Cloudflare's errors arrive classified; the Elasticsearch client's must not reach the user raw.
        throw isEsClientError(error) ? esFailure(error, `reading the stored ${dataset.name} figures`, origin) : error;
      },
    );
    out(`dataset ${dataset.name}`);
    if (dataset.rollup) {
      out(`zone                      ${unitName} (UTC)${" ".repeat(14 - unitName.length)} stored  requests stored / Cloudflare     result`);
      for (const h of result.hours) {
        const requests = h.metrics.find((m) => m.metric === "requests");
        const bad = h.metrics.filter((m) => m.stored !== m.cloudflare).map((m) => `${m.metric} ${m.stored} != ${m.cloudflare}`);
        if (h.storedMinutes !== h.expectedUnits) bad.unshift(`${h.expectedUnits - h.storedMinutes} ${unitOf(dataset.unit)}s missing`);
        out(
          `${h.zone.name.padEnd(25).slice(0, 25)} ${iso(h.hour).padEnd(18)} ${String(h.storedMinutes).padStart(7)}  ` +
            `${`${requests?.stored ?? 0} / ${requests?.cloudflare ?? 0}`.padEnd(30)} ${h.ok ? "ok" : `MISMATCH: ${bad.join(", ")}`}`,
        );
      }
    }
    out(`breakdowns: ${result.minutesChecked} ${unitOf(dataset.unit)}s checked, ${result.breakdownMismatches.length} mismatches`);
    if (result.partialBreakdowns.length > 0) {
      const byBreakdown = new Map<string, number>();
      for (const p of result.partialBreakdowns) byBreakdown.set(p.breakdown, (byBreakdown.get(p.breakdown) ?? 0) + 1);
      const list = [...byBreakdown].map(([b, n]) => `${b} in ${n} ${unitOf(dataset.unit)}s`).join(", ");
      out(`breakdown partial at Cloudflare (not a mismatch: the rest is stored as __unattributed__): ${list}`);
    }
    for (const m of result.breakdownMismatches.slice(0, 20)) {
      out(`  ${m.zone.name} ${iso(m.minute)} ${m.breakdown}: sum of ${m.metric} ${m.entries} != total ${m.total}`);
    }
    const bad = result.hours.filter((h) => !h.ok).length;
    const good = bad === 0 && result.breakdownMismatches.length === 0;
    const rollupPart = dataset.rollup
      ? `${result.hours.length - bad}/${result.hours.length} ${unitName}s match Cloudflare's ${unitName === "hour" ? "hourly" : "daily"} rollup`
      : "no coarser Cloudflare rollup to compare with; breakdowns checked";
    out(`${good ? "verified" : "NOT verified"}: ${rollupPart}`);
    return good;
  }
}
