/** `check`: one line per prerequisite (config, Cloudflare, each zone's limits, Elasticsearch, ILM, privileges). */
import { CloudflareError } from "../cloudflare/errors.js";
import { readZoneLimits } from "../cloudflare/settings.js";
import { zoneDatasets } from "../datasets/index.js";
import { EXIT } from "../errors.js";
import { askGate } from "../gate.js";
import { ilmAvailable } from "../sinks/elasticsearch/bootstrap.js";
import { createElasticsearchClient, describeEsError } from "../sinks/elasticsearch/client.js";
import { createCloudflare, createContext, type Io } from "./context.js";

type Line = { ok: boolean | "info"; text: string };

export async function checkCommand(flags: Record<string, unknown>, io: Io): Promise<number> {
  const ctx = createContext(flags, io);
  const { config } = ctx;
  const lines: Line[] = [{ ok: true, text: `configuration valid: ${config.cloudflare.zones.length} zones, Cloudflare ${config.cloudflare.apiUrl}` }];
  const print = (line: Line): void => {
    io.stdout.write(`${line.ok === "info" ? "info" : line.ok ? " ok " : "FAIL"}  ${line.text}\n`);
  };
  print(lines[0]!);
  const add = (line: Line): void => {
    lines.push(line);
    print(line);
  };

  if (config.gate.uri) {
    const gate = await askGate(config.gate);
    add({ ok: gate.allowed ? true : "info", text: `gate: ${gate.reason}${gate.allowed ? "" : " (runs here would exit 0 without work)"}` });
  }

  const nodes = zoneDatasets.map((d) => d.node);
  try {
    const limits = await readZoneLimits(createCloudflare(ctx), config.cloudflare.zones, nodes);
    add({ ok: true, text: "Cloudflare reachable and credentials accepted" });
    for (const zone of config.cloudflare.zones) {
      for (const node of nodes) {
        const l = limits.get(zone.id)?.get(node);
        if (!l) add({ ok: false, text: `zone ${zone.name} (${zone.id}): no settings returned; is the zone id right and covered by the token?` });
        else
          add({
            ok: l.enabled ? true : "info",
            text: `zone ${zone.name} ${node}: ${l.enabled ? "enabled" : "not enabled on this plan (will be skipped)"}, maxDuration ${l.maxDurationSeconds}s, notOlderThan ${l.notOlderThanSeconds}s (${(l.notOlderThanSeconds / 86400).toFixed(1)} d), maxPageSize ${l.maxPageSize}`,
          });
      }
    }
  } catch (error) {
    add({ ok: false, text: error instanceof CloudflareError ? `Cloudflare: ${error.message}` : `Cloudflare: ${String(error)}` });
  }

  if (config.output) add({ ok: "info", text: `output: NDJSON files in ${config.output} (Elasticsearch not used)` });
  else if (!config.elasticsearch.url) add({ ok: false, text: "Elasticsearch: ES_URL is not set (or pass --output <dir>)" });
  else {
    const es = createElasticsearchClient({ ...config.elasticsearch, url: config.elasticsearch.url });
    try {
      const health = await es.cluster.health();
      add({ ok: true, text: `Elasticsearch reachable: cluster ${health.cluster_name}, status ${health.status}` });
      const ilm = await ilmAvailable(es);
      add({ ok: "info", text: ilm ? "index lifecycle management (ILM) available" : "ILM not available: retention will not be enforced by the cluster" });
      add(await privileges(es, config.elasticsearch.indexPrefix, ilm));
    } catch (error) {
      add({ ok: false, text: `Elasticsearch ${new URL(config.elasticsearch.url).origin}: ${describeEsError(error)}` });
    } finally {
      await es.close();
    }
  }
  return lines.some((l) => l.ok === false) ? EXIT.failed : EXIT.ok;
}

async function privileges(es: ReturnType<typeof createElasticsearchClient>, prefix: string, ilm: boolean): Promise<Line> {
  try {
    const answer = await es.security.hasPrivileges({
      cluster: ["manage_index_templates", "monitor", ...(ilm ? ["manage_ilm"] : [])],
      index: [{ names: [`${prefix}-*`], privileges: ["create_index", "index", "read", "view_index_metadata", "manage"] }],
    });
    if (answer.has_all_requested) return { ok: true, text: `write privileges on ${prefix}-* and template management granted` };
    const missing = [
      ...Object.entries(answer.cluster).filter(([, v]) => !v).map(([k]) => `cluster:${k}`),
      ...Object.values(answer.index).flatMap((p) => Object.entries(p).filter(([, v]) => !v).map(([k]) => `index:${k}`)),
    ];
    return { ok: false, text: `missing privileges: ${missing.join(", ")}` };
  } catch (error) {
    const text = describeEsError(error);
    if (/security.*(not enabled|disabled)|no handler found|400/i.test(text)) return { ok: "info", text: "security is off on this cluster: privileges not checked" };
    return { ok: false, text: `privileges: ${text}` };
  }
}
