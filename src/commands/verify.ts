/** `verify --from --to`: print the hourly comparison and breakdown checks; exit 1 on any mismatch. */
import { httpRequests } from "../datasets/http-requests.js";
import { EXIT, UsageError } from "../errors.js";
import { createElasticsearchClient } from "../sinks/elasticsearch/client.js";
import { iso, parseInstant } from "../time.js";
import { verify, wholeHours } from "../verify.js";
import { createCloudflare, createContext, type Io } from "./context.js";

export async function verifyCommand(flags: Record<string, unknown>, from: string, to: string, io: Io): Promise<number> {
  const range = { from: parseInstant(from) ?? Number.NaN, to: parseInstant(to) ?? Number.NaN };
  if (!Number.isFinite(range.from) || !Number.isFinite(range.to)) throw new UsageError("--from and --to must be ISO-8601 times, e.g. 2026-11-01T00:00Z");
  const hours = wholeHours(range);
  if (hours.from >= hours.to) throw new UsageError(`[${from}, ${to}) holds no whole hour; verify compares whole UTC hours`);
  const ctx = createContext(flags, io);
  if (!ctx.config.elasticsearch.url) throw new UsageError("verify reads Elasticsearch: set ES_URL");
  const es = createElasticsearchClient({ ...ctx.config.elasticsearch, url: ctx.config.elasticsearch.url });
  try {
    const result = await verify(
      { es, cloudflare: createCloudflare(ctx), dataset: httpRequests, indexPrefix: ctx.config.elasticsearch.indexPrefix },
      ctx.config.cloudflare.zones,
      hours,
    );
    const out = (line: string): boolean => io.stdout.write(`${line}\n`);
    out(`zone                      hour (UTC)         minutes  requests stored / Cloudflare     result`);
    for (const h of result.hours) {
      const requests = h.metrics.find((m) => m.metric === "requests");
      const bad = h.metrics.filter((m) => m.stored !== m.cloudflare).map((m) => `${m.metric} ${m.stored} != ${m.cloudflare}`);
      if (h.storedMinutes !== 60) bad.unshift(`${60 - h.storedMinutes} minutes missing`);
      out(
        `${h.zone.name.padEnd(25).slice(0, 25)} ${iso(h.hour).padEnd(18)} ${String(h.storedMinutes).padStart(7)}  ` +
          `${`${requests?.stored ?? 0} / ${requests?.cloudflare ?? 0}`.padEnd(30)} ${h.ok ? "ok" : `MISMATCH: ${bad.join(", ")}`}`,
      );
    }
    out(`breakdowns: ${result.minutesChecked} minutes checked, ${result.breakdownMismatches.length} mismatches`);
    for (const m of result.breakdownMismatches.slice(0, 20)) {
      out(`  ${m.zone.name} ${iso(m.minute)} ${m.breakdown}: sum of ${m.metric} ${m.entries} != total ${m.total}`);
    }
    const hoursBad = result.hours.filter((h) => !h.ok).length;
    out(`${hoursBad === 0 && result.breakdownMismatches.length === 0 ? "verified" : "NOT verified"}: ${result.hours.length - hoursBad}/${result.hours.length} hours match Cloudflare's hourly rollup`);
    return hoursBad === 0 && result.breakdownMismatches.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await es.close();
  }
}
