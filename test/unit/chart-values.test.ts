/**
 * What the chart renders from its values: security context, where credentials come from (and that they never reach a
 * ConfigMap), the bootstrap hook and what it can see before the release exists, the CronJob and backfill Job, the
 * config file (every key one the exporter knows), and the schema refusing bad values with a message that names them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/index.js";
import { filePaths } from "../../src/config/sources.js";
import { ciValues, containerProcess, find, isHook, type Manifest, one, podSpec, render, renderNotes, tryRender, visibleTo } from "../support/chart.js";

const NS = "observability";

function workloads(manifests: readonly Manifest[]): Manifest[] {
  return manifests.filter((m) => m.kind === "CronJob" || m.kind === "Job");
}

function container(workload: Manifest): Manifest {
  return podSpec(workload).containers[0];
}

function envOf(workload: Manifest): Map<string, Manifest> {
  return new Map((container(workload).env as Manifest[]).map((e) => [e.name, e]));
}

function configOf(configMap: Manifest): Record<string, unknown> {
  return parse(configMap.data["config.yaml"]) as Record<string, unknown>;
}

/** Dotted paths of the leaves of a parsed config file (lists of zones are one leaf). */
function leafPaths(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** Secrets that the values files name as existing, with the keys they reference (what a user would have created). */
const existing: Manifest[] = [
  { kind: "Secret", metadata: { name: "cloudflare-credentials" }, stringData: { email: "ops@example.com", "global-key": "k" } },
  { kind: "Secret", metadata: { name: "elasticsearch-credentials" }, stringData: { user: "exporter", pass: "p" } },
  { kind: "Secret", metadata: { name: "cloudflare-token" }, stringData: { token: "t", "cloudflare-api-token": "t" } },
  { kind: "Secret", metadata: { name: "exporter-es-api-key" }, stringData: { api_key: "a", "elasticsearch-api-key": "a" } },
  { kind: "Secret", metadata: { name: "elasticsearch-es-http-certs-public" }, stringData: { "ca.crt": "pem" } },
  { kind: "ConfigMap", metadata: { name: "internal-trust-bundle" }, data: { "root-ca.pem": "pem" } },
  { kind: "ConfigMap", metadata: { name: "proxy-settings" }, data: { "no-proxy": "localhost" } },
  { kind: "ConfigMap", metadata: { name: "extra-settings" }, data: {} },
  { kind: "ConfigMap", metadata: { name: "extra-ca" }, data: {} },
  { kind: "ConfigMap", metadata: { name: "proxy-ca" }, data: { "proxy.pem": "proxy pem" } },
  { kind: "Secret", metadata: { name: "gate-ca" }, stringData: { "ca.crt": "gate pem" } },
];

const SCENARIOS = ["minimal", "existing-secret", "created-secret", "api-key", "gate", "backfill", "custom-ca", "custom-ca-configmap", "everything"];

describe("chart: security", () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: every pod runs non-root, read-only, without privileges or a service account token`, () => {
      const { manifests } = render({ valuesFiles: [ciValues(scenario)] });
      const all = workloads(manifests);
      assert.ok(all.length >= 2, "a CronJob and the bootstrap hook at least");
      for (const workload of all) {
        const pod = podSpec(workload);
        const at = `${workload.kind} ${workload.metadata.name}`;
        assert.equal(pod.restartPolicy, "Never", at);
        assert.equal(pod.automountServiceAccountToken, false, at);
        assert.equal(pod.securityContext.runAsNonRoot, true, at);
        assert.equal(pod.securityContext.runAsUser, 1000, at);
        assert.equal(pod.securityContext.runAsGroup, 1000, at);
        assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault", at);
        const c = container(workload);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, at);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, at);
        assert.equal(c.securityContext.runAsNonRoot, true, at);
        assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], at);
        assert.equal(c.securityContext.seccompProfile.type, "RuntimeDefault", at);
        const tmp = (c.volumeMounts as Manifest[]).find((m) => m.mountPath === "/tmp");
        assert.ok(tmp, `${at}: /tmp is writable`);
        assert.ok((pod.volumes as Manifest[]).find((v) => v.name === tmp.name)?.emptyDir, `${at}: /tmp is an emptyDir`);
        assert.equal(c.resources.limits.memory, scenario === "everything" ? "768Mi" : "512Mi", at);
      }
    });
  }

  it("the ServiceAccount is optional; when created, the hook uses a hook copy (the real one does not exist yet)", () => {
    const plain = render({ valuesFiles: [ciValues("minimal")] }).manifests;
    assert.equal(find(plain, "ServiceAccount").length, 0);
    for (const w of workloads(plain)) assert.equal(podSpec(w).serviceAccountName, undefined);

    const { manifests } = render({ valuesFiles: [ciValues("everything")] });
    const sa = one(manifests, "ServiceAccount", (m) => !isHook(m));
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(podSpec(one(manifests, "CronJob")).serviceAccountName, sa.metadata.name);
    const hook = one(manifests, "Job", (m) => isHook(m));
    const hookSa = one(manifests, "ServiceAccount", (m) => isHook(m));
    assert.equal(podSpec(hook).serviceAccountName, hookSa.metadata.name);
    assert.ok(Number(hookSa.metadata.annotations["helm.sh/hook-weight"]) < Number(hook.metadata.annotations["helm.sh/hook-weight"]));
  });
});

describe("chart: the CronJob", () => {
  it("defaults: every 5 minutes in UTC, Forbid, a deadline below the interval, no retries, history kept, bounded heap", () => {
    const { manifests } = render({ valuesFiles: [ciValues("minimal")] });
    const cron = one(manifests, "CronJob");
    assert.equal(cron.spec.schedule, "*/5 * * * *");
    assert.equal(cron.spec.timeZone, "Etc/UTC");
    assert.equal(cron.spec.suspend, false);
    assert.equal(cron.spec.concurrencyPolicy, "Forbid");
    assert.ok(cron.spec.startingDeadlineSeconds > 0 && cron.spec.startingDeadlineSeconds < 300);
    assert.equal(cron.spec.successfulJobsHistoryLimit, 3);
    assert.equal(cron.spec.failedJobsHistoryLimit, 3);
    const job = cron.spec.jobTemplate.spec;
    assert.equal(job.backoffLimit, 0);
    assert.ok(job.activeDeadlineSeconds < 300, "a run ends before the next is due");
    assert.deepEqual(job.podFailurePolicy.rules[0].onExitCodes.values, [2], "bad configuration is not retried");
    assert.deepEqual(container(cron).args, ["run"]);
    assert.equal(container(cron).command, undefined, "the image's ENTRYPOINT (the CLI) runs");
    assert.equal(container(cron).image, "cloudflare-es-exporter:0.1.0");
    const nodeOptions = envOf(cron).get("NODE_OPTIONS")!.value as string;
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    assert.ok(heapMb > 0 && heapMb <= 512 / 2, `the old space (${heapMb} MB) is at most half the 512Mi limit`);
    assert.equal(container(cron).livenessProbe, undefined);
  });

  it("every knob of everything-values.yaml arrives", () => {
    const { manifests } = render({ valuesFiles: [ciValues("everything")] });
    const cron = one(manifests, "CronJob");
    assert.equal(cron.metadata.name, "cf-exporter");
    assert.equal(cron.spec.schedule, "*/10 * * * *");
    assert.equal(cron.spec.timeZone, "Europe/Paris");
    assert.equal(cron.spec.suspend, true);
    assert.equal(cron.spec.startingDeadlineSeconds, 300);
    assert.equal(cron.spec.successfulJobsHistoryLimit, 1);
    assert.equal(cron.spec.failedJobsHistoryLimit, 5);
    assert.equal(cron.spec.jobTemplate.spec.backoffLimit, 1);
    assert.equal(cron.spec.jobTemplate.spec.activeDeadlineSeconds, 540);
    assert.equal(cron.metadata.annotations.team, "observability");
    for (const w of workloads(manifests)) {
      const pod = podSpec(w);
      const c = container(w);
      assert.equal(
        c.image,
        "registry.example/observability/cloudflare-es-exporter:0.1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      );
      assert.equal(c.imagePullPolicy, "Always");
      assert.deepEqual(pod.imagePullSecrets, [{ name: "regcred" }]);
      assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux" });
      assert.equal(pod.tolerations[0].key, "dedicated");
      assert.ok(pod.affinity.nodeAffinity);
      assert.equal(pod.priorityClassName, "low-priority");
      const template = w.kind === "CronJob" ? w.spec.jobTemplate.spec.template : w.spec.template;
      assert.equal(template.metadata.annotations["example.com/scrape"], "false");
      assert.equal(template.metadata.labels.team, "observability");
      assert.equal(template.metadata.labels["cost-center"], "42");
      assert.equal(envOf(w).get("HTTPS_PROXY")?.value, "http://proxy.internal:3128");
      assert.equal(envOf(w).get("NO_PROXY")?.valueFrom.configMapKeyRef.name, "proxy-settings");
      assert.equal(envOf(w).get("NODE_OPTIONS")?.value, "--max-old-space-size=384 --max-semi-space-size=4");
      assert.deepEqual(c.envFrom, [{ configMapRef: { name: "extra-settings" } }]);
      assert.ok((c.volumeMounts as Manifest[]).some((m) => m.name === "extra-ca" && m.mountPath === "/etc/extra-ca"));
      assert.ok((pod.volumes as Manifest[]).some((v) => v.name === "extra-ca"));
    }
    for (const m of manifests) assert.equal(m.metadata.labels["cost-center"], "42", `${m.kind} ${m.metadata.name} has the common labels`);
  });
});

describe("chart: the config file", () => {
  it("holds every setting from values, and only keys the exporter knows", () => {
    const { manifests } = render({ valuesFiles: [ciValues("everything")] });
    const config = configOf(one(manifests, "ConfigMap", (m) => !isHook(m) && m.data?.["config.yaml"]));
    assert.deepEqual(config, {
      cloudflare: {
        apiUrl: "https://api.cloudflare.com/client/v4/graphql",
        zones: [{ id: "023e105f4ecef8ad9ca31a8372d0c353", name: "example.com" }],
        accounts: [{ id: "01a7362d577a6c3019a474fd6f485823", name: "production" }],
        topN: 50,
        confidenceLevel: 0.9,
        queryBudget: 200,
        rateLimit: "account-based",
        timeoutSeconds: 30,
        maxRetrySeconds: 300,
        maxResponseBytes: 33554432,
        restUrl: "https://api.cloudflare.com/client/v4",
        restBudget: 400,
      },
      datasets: ["http_requests"],
      elasticsearch: {
        url: "https://elasticsearch.example:9200",
        tlsVerify: true,
        indexPrefix: "cf",
        indexPeriod: "week",
        indexMode: "standard",
        retentionDays: 90,
      },
      window: { settleMinutes: 6, overlapMinutes: 20, maxBackfillDays: 3 },
      gate: { uri: "https://gate.internal/allowed", timeoutSeconds: 5 },
      log: { level: "debug", format: "text" },
    });
    for (const path of leafPaths(config)) assert.ok(filePaths.includes(path), `${path} is a config-file key of the exporter (src/config/sources.ts)`);
  });

  it("declared datasets reach the config file, run beside a narrowed datasets list, and the exporter loads them", () => {
    const declared = {
      name: "cache_by_prefix",
      node: "httpRequestsAdaptiveGroups",
      dimensions: ["cacheStatus", { field: "clientRequestPath", pathPrefix: 1 }],
      metrics: ["count", "sum.edgeResponseBytes"],
      filter: { requestSource: "eyeball" },
      topN: 20,
    };
    const { manifests } = render({ valuesFiles: [ciValues("minimal")], values: { customDatasets: [declared], datasets: ["http_requests"] } });
    const configMap = one(manifests, "ConfigMap", (m) => !isHook(m) && m.data?.["config.yaml"]);
    const config = configOf(configMap);
    assert.deepEqual([config.customDatasets, config.datasets], [[declared], ["http_requests", "cache_by_prefix"]]);
    const loaded = loadConfig({
      flags: { config: "config.yaml" },
      env: { CF_API_TOKEN: "cf-token-SECRET-0001" },
      readFile: () => String(configMap.data["config.yaml"]),
    });
    assert.deepEqual(
      loaded.customDatasets.map((d) => [d.name, d.filter, d.topN]),
      [["cache_by_prefix", 'requestSource: "eyeball"', 20]],
    );
  });

  it("leaves out what values leave unset, so the exporter's defaults apply", () => {
    const config = configOf(one(render({ valuesFiles: [ciValues("minimal")] }).manifests, "ConfigMap", (m) => !isHook(m)));
    const cf = config.cloudflare as Record<string, unknown>;
    for (const key of ["apiUrl", "accounts", "topN", "confidenceLevel", "maxResponseBytes"]) assert.equal(key in cf, false, `cloudflare.${key} is absent`);
    assert.equal("datasets" in config, false);
    assert.equal("uri" in (config.gate as Record<string, unknown>), false);
    for (const path of leafPaths(config)) assert.ok(filePaths.includes(path), path);
  });

  it("without zones and accounts: none rendered (the exporter discovers them), the discovery filters are", () => {
    const config = configOf(one(render({ valuesFiles: [ciValues("discovery")] }).manifests, "ConfigMap", (m) => !isHook(m)));
    const cf = config.cloudflare as Record<string, unknown>;
    assert.equal(
      "zones" in cf || "accounts" in cf || "zonesInclude" in cf || "accountsExclude" in cf,
      false,
      "empty lists are left out: the exporter refuses them",
    );
    assert.deepEqual(
      [cf.zonesExclude, cf.accountsInclude, cf.restBudget],
      [["*.staging.example.com", "0123456789abcdef0123456789abcdef"], ["Production", "prod-*"], 300],
    );
    for (const path of leafPaths(config)) assert.ok(filePaths.includes(path), path);
  });

  it("the hook's copy is the same file", () => {
    const { manifests } = render({ valuesFiles: [ciValues("everything")] });
    const [main, hook] = [false, true].map((h) => one(manifests, "ConfigMap", (m) => isHook(m) === h && m.data?.["config.yaml"]));
    assert.equal(hook!.data["config.yaml"], main!.data["config.yaml"]);
  });
});

describe("chart: credentials", () => {
  const secretValues = ["cf-token-from-values", "es-password-from-values"];

  it("chart-created Secret: the token and password are in a Secret (and its hook copy), never in a ConfigMap", () => {
    const { manifests } = render({ valuesFiles: [ciValues("created-secret")] });
    const secret = one(manifests, "Secret", (m) => !isHook(m));
    const decoded = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    assert.deepEqual(decoded, {
      "cloudflare-api-token": "cf-token-from-values",
      "elasticsearch-username": "cloudflare_exporter",
      "elasticsearch-password": "es-password-from-values",
    });
    const hookCopy = one(manifests, "Secret", (m) => isHook(m));
    assert.deepEqual(hookCopy.data, secret.data);
    for (const cm of find(manifests, "ConfigMap"))
      for (const value of secretValues) assert.ok(!JSON.stringify(cm).includes(value), `${cm.metadata.name} holds no secret`);
    const env = envOf(one(manifests, "CronJob"));
    assert.deepEqual(env.get("CF_API_TOKEN")?.valueFrom, { secretKeyRef: { name: secret.metadata.name, key: "cloudflare-api-token" } });
    assert.deepEqual(env.get("ES_USER")?.valueFrom, { secretKeyRef: { name: secret.metadata.name, key: "elasticsearch-username" } });
    assert.deepEqual(env.get("ES_PASSWORD")?.valueFrom, { secretKeyRef: { name: secret.metadata.name, key: "elasticsearch-password" } });
    for (const w of workloads(manifests))
      for (const e of envOf(w).values()) for (const v of secretValues) assert.ok(!JSON.stringify(e).includes(v), `${e.name} carries no literal secret`);
  });

  it("existing Secrets: nothing created, references use the configured names and keys", () => {
    const { manifests } = render({ valuesFiles: [ciValues("existing-secret")] });
    assert.equal(find(manifests, "Secret").length, 0);
    for (const w of workloads(manifests)) {
      const env = envOf(w);
      assert.deepEqual(env.get("CF_API_EMAIL")?.valueFrom.secretKeyRef, { name: "cloudflare-credentials", key: "email" });
      assert.deepEqual(env.get("CF_API_KEY")?.valueFrom.secretKeyRef, { name: "cloudflare-credentials", key: "global-key" });
      assert.deepEqual(env.get("ES_USER")?.valueFrom.secretKeyRef, { name: "elasticsearch-credentials", key: "user" });
      assert.deepEqual(env.get("ES_PASSWORD")?.valueFrom.secretKeyRef, { name: "elasticsearch-credentials", key: "pass" });
      assert.equal(env.has("CF_API_TOKEN"), false);
      assert.equal(env.has("ES_API_KEY"), false);
    }
  });

  it("API key from an existing Secret; a user name given as a value beside an existing Secret", () => {
    const apiKey = envOf(one(render({ valuesFiles: [ciValues("api-key")] }).manifests, "CronJob"));
    assert.deepEqual(apiKey.get("ES_API_KEY")?.valueFrom.secretKeyRef, { name: "exporter-es-api-key", key: "api_key" });
    assert.deepEqual(apiKey.get("CF_API_TOKEN")?.valueFrom.secretKeyRef, { name: "cloudflare-token", key: "token" });

    const eck = render({
      valuesFiles: [ciValues("minimal")],
      values: { elasticsearch: { auth: { type: "basic", existingSecret: "quickstart-es-elastic-user", username: "elastic", passwordKey: "elastic" } } },
    }).manifests;
    const env = envOf(one(eck, "CronJob"));
    assert.deepEqual(env.get("ES_USER"), { name: "ES_USER", value: "elastic" });
    assert.deepEqual(env.get("ES_PASSWORD")?.valueFrom.secretKeyRef, { name: "quickstart-es-elastic-user", key: "elastic" });
    const created = one(eck, "Secret", (m) => !isHook(m));
    assert.deepEqual(Object.keys(created.data), ["cloudflare-api-token"], "only the Cloudflare token is created");
  });

  it("no Elasticsearch credentials with auth type none", () => {
    const env = envOf(one(render({ valuesFiles: [ciValues("minimal")] }).manifests, "CronJob"));
    for (const name of ["ES_API_KEY", "ES_USER", "ES_PASSWORD"]) assert.equal(env.has(name), false, name);
  });

  it("a CA certificate from a Secret or a ConfigMap is mounted and named by ES_CA_FILE", () => {
    for (const [scenario, kind, name, key] of [
      ["custom-ca", "secret", "elasticsearch-es-http-certs-public", "ca.crt"],
      ["custom-ca-configmap", "configMap", "internal-trust-bundle", "root-ca.pem"],
    ] as const) {
      const { manifests } = render({ valuesFiles: [ciValues(scenario)] });
      for (const w of workloads(manifests)) {
        const process = containerProcess(w, [...existing, ...visibleTo(w, manifests, [])], { namespace: NS, podName: "p" });
        assert.equal(process.env.ES_CA_FILE, `/etc/cloudflare-es-exporter/ca/${key}`);
        assert.equal(process.files.get(process.env.ES_CA_FILE)?.toString(), "pem", `${scenario}: the certificate is at ES_CA_FILE`);
        const volume = (podSpec(w).volumes as Manifest[]).find((v) => v.name === "ca")!;
        assert.equal(kind === "secret" ? volume.secret.secretName : volume.configMap.name, name);
      }
    }
  });
});

describe("chart: the bootstrap hook", () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: a pre-install,pre-upgrade Job that needs nothing the release creates`, () => {
      const { manifests } = render({ valuesFiles: [ciValues(scenario)] });
      const hook = one(manifests, "Job", (m) => m.metadata.annotations?.["helm.sh/hook"] !== undefined);
      assert.equal(hook.metadata.annotations["helm.sh/hook"], "pre-install,pre-upgrade");
      assert.equal(hook.metadata.annotations["helm.sh/hook-delete-policy"], "before-hook-creation,hook-succeeded");
      assert.deepEqual(container(hook).args, ["bootstrap"]);
      // Resolving every reference from what exists before the release (plus earlier hooks) must succeed.
      const process = containerProcess(hook, visibleTo(hook, manifests, existing), { namespace: NS, podName: "p" });
      assert.ok(process.files.has("/etc/cloudflare-es-exporter/config/config.yaml"));
      assert.ok(process.env.CF_API_TOKEN ?? process.env.CF_API_KEY);
      for (const m of manifests.filter(isHook)) {
        assert.equal(m.metadata.annotations["helm.sh/hook-delete-policy"], "before-hook-creation,hook-succeeded", `${m.kind} ${m.metadata.name}`);
      }
    });
  }

  it("would fail against the release's own objects: they do not exist when it runs", () => {
    const { manifests } = render({ valuesFiles: [ciValues("created-secret")] });
    const cron = one(manifests, "CronJob");
    // The CronJob's references resolve only once the release exists; the hook must not share them.
    assert.throws(
      () => containerProcess(cron, visibleTo(one(manifests, "Job", isHook), manifests, existing), { namespace: NS, podName: "p" }),
      /does not exist/,
    );
  });

  it("can be turned off", () => {
    const { manifests } = render({ valuesFiles: [ciValues("minimal")], values: { bootstrap: { enabled: false } } });
    assert.equal(manifests.filter(isHook).length, 0);
  });
});

describe("chart: the backfill Job", () => {
  it("is absent by default", () => {
    assert.equal(find(render({ valuesFiles: [ciValues("minimal")] }).manifests, "Job", (m) => !isHook(m)).length, 0);
  });

  it("runs backfill with the range and zones from values, under a name that changes with them", () => {
    const { manifests } = render({ valuesFiles: [ciValues("backfill")] });
    const job = one(manifests, "Job", (m) => !isHook(m));
    assert.deepEqual(container(job).args, [
      "backfill",
      "--from",
      "2026-11-01T00:00:00Z",
      "--to",
      "2026-11-08T00:00:00Z",
      "--zone",
      "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    ]);
    assert.equal(job.spec.ttlSecondsAfterFinished, 86400);
    assert.equal(job.spec.backoffLimit, 2);
    assert.match(job.metadata.name, /^rel-cloudflare-es-exporter-backfill-[0-9a-f]{8}$/);
    const again = one(render({ valuesFiles: [ciValues("backfill")] }).manifests, "Job", (m) => !isHook(m));
    assert.equal(again.metadata.name, job.metadata.name, "an unchanged backfill keeps its name: an upgrade does not run it again");
    const other = one(
      render({ valuesFiles: [ciValues("backfill")], values: { backfill: { to: "2026-11-09T00:00:00Z" } } }).manifests,
      "Job",
      (m) => !isHook(m),
    );
    assert.notEqual(other.metadata.name, job.metadata.name, "a new range is a new Job (a Job's template cannot change)");
  });
});

describe("chart: the gate", () => {
  it("LOCAL_CLUSTER from values, LOCAL_NAMESPACE from the pod's namespace unless overridden", () => {
    const cron = one(render({ valuesFiles: [ciValues("gate")] }).manifests, "CronJob");
    const env = envOf(cron);
    assert.deepEqual(env.get("LOCAL_CLUSTER"), { name: "LOCAL_CLUSTER", value: "prod-eu-1" });
    assert.deepEqual(env.get("LOCAL_NAMESPACE")?.valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } });
    const overridden = envOf(one(render({ valuesFiles: [ciValues("gate")], values: { gate: { namespace: "team-a" } } }).manifests, "CronJob"));
    assert.deepEqual(overridden.get("LOCAL_NAMESPACE"), { name: "LOCAL_NAMESPACE", value: "team-a" });
    assert.equal(envOf(one(render({ valuesFiles: [ciValues("minimal")] }).manifests, "CronJob")).has("LOCAL_CLUSTER"), false, "no gate, no gate variables");
  });
});

describe("chart: values the schema or the templates refuse, with a message naming them", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a misspelt top-level key", { elasticsearh: { url: "http://x:9200" } }, /additional properties 'elasticsearh' not allowed/],
    ["a misspelt nested key", { cronjob: { scheduel: "*/5 * * * *" } }, /\/cronjob.*additional properties 'scheduel' not allowed/],
    ["an index period that does not exist", { elasticsearch: { indexPeriod: "fortnight" } }, /\/elasticsearch\/indexPeriod/],
    ["an index prefix Elasticsearch refuses", { elasticsearch: { indexPrefix: "Cloudflare" } }, /\/elasticsearch\/indexPrefix/],
    ["a zone without a name", { cloudflare: { zones: [{ id: "023e105f4ecef8ad9ca31a8372d0c353" }] } }, /\/cloudflare\/zones\/0.*name/],
    ["a zone id with spaces", { cloudflare: { zones: [{ id: "023e 105f", name: "x" }] } }, /\/cloudflare\/zones\/0\/id/],
    ["a schedule that is not cron", { cronjob: { schedule: "every 5 minutes" } }, /\/cronjob\/schedule/],
    ["a concurrency policy that does not exist", { cronjob: { concurrencyPolicy: "Never" } }, /\/cronjob\/concurrencyPolicy/],
    ["a query budget above Cloudflare's limit", { cloudflare: { queryBudget: 500 } }, /\/cloudflare\/queryBudget/],
    ["an unknown Cloudflare auth type", { cloudflare: { auth: { type: "oauth" } } }, /\/cloudflare\/auth\/type/],
    [
      "a CA from both a Secret and a ConfigMap",
      { elasticsearch: { ca: { secretName: "a", configMapName: "b" } } },
      /elasticsearch\.ca: set only one of secretName and configMapName/,
    ],
    ["a backfill without a range", { backfill: { enabled: true } }, /backfill\.from is required when backfill\.enabled is true/],
    ["a backfill time that is not ISO 8601", { backfill: { enabled: true, from: "yesterday", to: "2026-11-02T00:00:00Z" } }, /\/backfill\/from/],
    ["an image digest without its algorithm", { image: { digest: "0123abcd" } }, /\/image\/digest/],
    ["a string where a number belongs", { window: { settleMinutes: "5m" } }, /\/window\/settleMinutes/],
    ["no Elasticsearch URL", { elasticsearch: { url: "" } }, /elasticsearch\.url is required/],
    [
      "a discovery filter beside explicit zones",
      { cloudflare: { zonesExclude: ["*.test"] } },
      /cloudflare\.zonesExclude narrows discovered zones and accounts, but cloudflare\.zones or cloudflare\.accounts lists them explicitly/,
    ],
    [
      "discovery through an apiUrl without /graphql and no restUrl",
      { cloudflare: { zones: [], apiUrl: "https://proxy.example/cloudflare" } },
      /cloudflare\.restUrl is needed: cloudflare\.apiUrl does not end in \/graphql/,
    ],
    ["an empty discovery pattern", { cloudflare: { zones: [], zonesInclude: [" "] } }, /\/cloudflare\/zonesInclude\/0/],
    ["a REST budget above Cloudflare's limit", { cloudflare: { restBudget: 1201 } }, /\/cloudflare\/restBudget/],
    ["no token and no existing Secret", { cloudflare: { auth: { apiToken: "" } } }, /cloudflare\.auth\.apiToken is required/],
    ["basic auth without a password", { elasticsearch: { auth: { type: "basic", username: "u" } } }, /elasticsearch\.auth\.password is required/],
  ];
  for (const [name, values, message] of cases) {
    it(name, () => {
      const result = tryRender({ valuesFiles: [ciValues("minimal")], values });
      assert.equal(result.ok, false, "rendering must fail");
      assert.match(result.ok ? "" : result.message, message);
    });
  }
});

describe("chart: discovery", () => {
  it("a backfill may name a zone that is not in cloudflare.zones: the exporter checks it against the discovered ones", () => {
    const job = one(render({ valuesFiles: [ciValues("discovery")] }).manifests, "Job", (m) => !isHook(m));
    assert.deepEqual(container(job).args.slice(-2), ["--zone", "023e105f4ecef8ad9ca31a8372d0c353"]);
  });

  it("NOTES say that zones and accounts are discovered, through which filters, and which permissions that needs", () => {
    const notes = renderNotes({ valuesFiles: [ciValues("discovery")], namespace: NS });
    assert.match(
      notes,
      /Zones and accounts: discovered from Cloudflare at every run, all the token can read, zonesExclude \*\.staging\.example\.com,0123456789abcdef0123456789abcdef, accountsInclude Production,prod-\*\./,
    );
    assert.match(notes, /Zone > Zone > Read and Zone > Analytics > Read .*\n.*Account > Account Analytics > Read/);
    assert.match(
      renderNotes({ valuesFiles: [ciValues("everything")], namespace: NS }),
      /Zones and accounts: the 1 zones and 1 accounts of cloudflare\.zones and cloudflare\.accounts\./,
    );
  });
});

describe("chart: NOTES.txt", () => {
  it("shows a manual run, a backfill with other arguments and where the credentials come from", () => {
    const notes = renderNotes({ valuesFiles: [ciValues("existing-secret")], namespace: NS });
    assert.match(notes, /kubectl -n observability create job --from=cronjob\/rel-cloudflare-es-exporter /);
    assert.match(notes, /backfill\.enabled=true --set backfill\.from=/);
    assert.match(notes, /\\1- backfill\\n\\1- --from=.*\\n\\1- --to=/);
    assert.match(notes, /Cloudflare from Secret cloudflare-credentials/);
    assert.match(notes, /Elasticsearch from Secret elasticsearch-credentials/);
    assert.match(notes, /schedule "\*\/5 \* \* \* \*" \(Etc\/UTC\)/);
  });
});
