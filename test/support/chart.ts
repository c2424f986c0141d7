/**
 * The Helm chart as the tests see it: `helm template` output parsed into objects, and the container of a rendered
 * workload turned into the process Kubernetes would start (argv, environment with every secretKeyRef, configMapKeyRef
 * and fieldRef resolved, mounted files) so that it can be run locally against the simulator and Elasticsearch.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "./paths.js";
import { KUBE_VERSIONS, runTool, tool, type ToolResult } from "./tools.js";

export const chartDir = join(repoRoot, "charts", "cloudflare-es-exporter");
export const ciValuesDir = join(chartDir, "ci");

// Rendered Kubernetes objects are untyped YAML; tests navigate them freely.
export type Manifest = Record<string, any>;

export interface RenderOptions {
  valuesFiles?: readonly string[];
  /** Values given as YAML text or an object (written to a temporary file: no --set escaping rules). */
  values?: Record<string, unknown>;
  release?: string;
  namespace?: string;
  kubeVersion?: string;
}

export interface Rendered {
  manifests: Manifest[];
  /** NOTES.txt is not part of `helm template` output; rendered separately when asked for. */
  stdout: string;
}

/** Runs helm with the options as arguments; values given as an object go through a temporary file. */
function helm(command: "template" | "lint", options: RenderOptions, extra: readonly string[] = [], chart = chartDir): ToolResult {
  const args = command === "template" ? ["template", options.release ?? "rel", chart] : ["lint", "--strict", chart];
  args.push("--kube-version", options.kubeVersion ?? KUBE_VERSIONS[KUBE_VERSIONS.length - 1]!);
  if (command === "template") args.push("--namespace", options.namespace ?? "observability");
  for (const file of options.valuesFiles ?? []) args.push("-f", file);
  const dir = options.values ? mkdtempSync(join(tmpdir(), "cfe-values-")) : undefined;
  try {
    if (dir) {
      writeFileSync(join(dir, "values.json"), JSON.stringify(options.values));
      args.push("-f", join(dir, "values.json"));
    }
    return runTool(tool("helm"), [...args, ...extra]);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template`; throws with helm's message when it fails (use `tryRender` to look at the failure). */
export function render(options: RenderOptions = {}): Rendered {
  const result = tryRender(options);
  if (!result.ok) throw new Error(`helm template failed: ${result.message}`);
  return result.rendered;
}

export function tryRender(options: RenderOptions = {}): { ok: true; rendered: Rendered } | { ok: false; message: string } {
  const result = helm("template", options);
  if (result.status !== 0) return { ok: false, message: result.stderr.trim() };
  const manifests = parseAllDocuments(result.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
  return { ok: true, rendered: { manifests, stdout: result.stdout } };
}

export function lint(options: RenderOptions = {}): { status: number | null; output: string } {
  const result = helm("lint", options);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export function ciValues(name: string): string {
  return join(ciValuesDir, `${name}-values.yaml`);
}

export function find(manifests: readonly Manifest[], kind: string, predicate: (m: Manifest) => boolean = () => true): Manifest[] {
  return manifests.filter((m) => m.kind === kind && predicate(m));
}

export function one(manifests: readonly Manifest[], kind: string, predicate: (m: Manifest) => boolean = () => true): Manifest {
  const found = find(manifests, kind, predicate);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}: ${found.map((m) => m.metadata?.name).join(", ")}`);
  return found[0]!;
}

export function isHook(m: Manifest): boolean {
  return m.metadata?.annotations?.["helm.sh/hook"] !== undefined;
}

function hookWeight(m: Manifest): number {
  return Number(m.metadata?.annotations?.["helm.sh/hook-weight"] ?? 0);
}

/** The pod spec of a CronJob or Job. */
export function podSpec(workload: Manifest): Manifest {
  if (workload.kind === "CronJob") return workload.spec.jobTemplate.spec.template.spec;
  if (workload.kind === "Job") return workload.spec.template.spec;
  throw new Error(`${workload.kind} has no pod template`);
}

/**
 * What exists in the cluster when a workload's pod starts. A pre-install hook sees only what existed before the
 * release plus the hooks of its phase with a lower weight; the release's other objects are created after it.
 */
export function visibleTo(workload: Manifest, rendered: readonly Manifest[], existing: readonly Manifest[]): Manifest[] {
  if (!isHook(workload)) return [...existing, ...rendered.filter((m) => !isHook(m))];
  const events = String(workload.metadata.annotations["helm.sh/hook"]).split(",");
  const weight = hookWeight(workload);
  const earlierHooks = rendered.filter((m) => {
    if (!isHook(m) || m === workload) return false;
    const theirs = String(m.metadata.annotations["helm.sh/hook"]).split(",");
    return theirs.some((e) => events.includes(e)) && hookWeight(m) < weight;
  });
  return [...existing, ...earlierHooks];
}

// ---- The image, as its Dockerfile declares it -------------------------------------------------------------------

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir: string;
  user: string | undefined;
}

/** The final stage's ENTRYPOINT, CMD, ENV, WORKDIR and USER (what Kubernetes combines with the container spec). */
export function imageConfig(dockerfile = join(repoRoot, "Dockerfile")): ImageConfig {
  const lines = readFileSync(dockerfile, "utf8").replace(/\\\n/g, " ").split("\n");
  const args = new Map<string, string>();
  let config: ImageConfig = { entrypoint: [], cmd: [], env: {}, workdir: "/", user: undefined };
  const substitute = (text: string): string =>
    text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get((a ?? b)!) ?? "");
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [, instruction = "", rest = ""] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction.toUpperCase()) {
      case "ARG": {
        const [name, value = ""] = rest.split("=", 2);
        if (!args.has(name!) || value !== "") args.set(name!, value);
        break;
      }
      case "FROM":
        config = { entrypoint: [], cmd: [], env: {}, workdir: "/", user: undefined };
        break;
      case "ENV":
        for (const match of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) config.env[match[1]!] = substitute(match[2]!.replace(/^"|"$/g, ""));
        break;
      case "WORKDIR":
        config.workdir = substitute(rest);
        break;
      case "USER":
        config.user = rest;
        break;
      case "ENTRYPOINT":
        config.entrypoint = JSON.parse(rest) as string[];
        break;
      case "CMD":
        config.cmd = JSON.parse(rest) as string[];
        break;
    }
  }
  return config;
}

// ---- From a container spec to a local process --------------------------------------------------------------------

export interface ContainerProcess {
  /** argv as the container runtime would execute it (image paths). */
  argv: string[];
  /** The environment exactly as Kubernetes would set it (image ENV, then the container's env). */
  env: Record<string, string>;
  /** Files the pod would see, by absolute path in the container. */
  files: Map<string, Buffer>;
  /** Mount points that are directories the process may write to (emptyDir). */
  writableDirs: string[];
  workdir: string;
}

interface PodContext {
  namespace: string;
  podName: string;
}

function findObject(objects: readonly Manifest[], kind: "Secret" | "ConfigMap", name: string): Manifest | undefined {
  return objects.find((m) => m.kind === kind && m.metadata?.name === name);
}

/** A Secret's or ConfigMap's entries as bytes (Secret data is base64, stringData and ConfigMap data are text). */
function entries(object: Manifest): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (object.kind === "Secret") {
    for (const [k, v] of Object.entries((object.data ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, "base64"));
    for (const [k, v] of Object.entries((object.stringData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v));
  } else {
    for (const [k, v] of Object.entries((object.data ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v));
    for (const [k, v] of Object.entries((object.binaryData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, "base64"));
  }
  return out;
}

function keyRef(objects: readonly Manifest[], kind: "Secret" | "ConfigMap", ref: { name: string; key: string; optional?: boolean }): string | undefined {
  const object = findObject(objects, kind, ref.name);
  if (!object) {
    if (ref.optional) return undefined;
    throw new Error(`${kind} ${ref.name} does not exist when the pod starts (CreateContainerConfigError)`);
  }
  const value = entries(object).get(ref.key);
  if (value === undefined && !ref.optional) throw new Error(`${kind} ${ref.name} has no key ${ref.key} (CreateContainerConfigError)`);
  return value?.toString("utf8");
}

function fieldRef(path: string, pod: PodContext): string {
  if (path === "metadata.namespace") return pod.namespace;
  if (path === "metadata.name") return pod.podName;
  throw new Error(`fieldRef ${path} is not modelled by this test`);
}

/** Kubernetes' $(VAR) expansion in env values, command and args: defined variables only, $$ escapes. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string | undefined) => (name === undefined ? "$" : (env[name] ?? whole)));
}

export function containerProcess(workload: Manifest, objects: readonly Manifest[], pod: PodContext, image: ImageConfig = imageConfig()): ContainerProcess {
  const spec = podSpec(workload);
  if (spec.containers.length !== 1) throw new Error(`expected one container, found ${spec.containers.length}`);
  const container = spec.containers[0] as Manifest;
  const env: Record<string, string> = { ...image.env };

  for (const source of (container.envFrom ?? []) as Manifest[]) {
    const ref = source.secretRef ?? source.configMapRef;
    const kind = source.secretRef ? "Secret" : "ConfigMap";
    const object = findObject(objects, kind, ref.name);
    if (!object) {
      if (ref.optional) continue;
      throw new Error(`${kind} ${ref.name} (envFrom) does not exist when the pod starts`);
    }
    for (const [k, v] of entries(object)) env[`${source.prefix ?? ""}${k}`] = v.toString("utf8");
  }
  for (const variable of (container.env ?? []) as Manifest[]) {
    let value: string | undefined;
    if (variable.valueFrom === undefined) value = expand(String(variable.value ?? ""), env);
    else if (variable.valueFrom.secretKeyRef) value = keyRef(objects, "Secret", variable.valueFrom.secretKeyRef);
    else if (variable.valueFrom.configMapKeyRef) value = keyRef(objects, "ConfigMap", variable.valueFrom.configMapKeyRef);
    else if (variable.valueFrom.fieldRef) value = fieldRef(variable.valueFrom.fieldRef.fieldPath, pod);
    else throw new Error(`env ${variable.name}: ${Object.keys(variable.valueFrom).join()} is not modelled by this test`);
    if (value !== undefined) env[variable.name] = value;
  }

  const files = new Map<string, Buffer>();
  const writableDirs: string[] = [];
  const volumes = new Map<string, Manifest>(((spec.volumes ?? []) as Manifest[]).map((v) => [v.name, v]));
  for (const mount of (container.volumeMounts ?? []) as Manifest[]) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new Error(`volumeMount ${mount.name} has no volume`);
    if (volume.emptyDir) {
      writableDirs.push(mount.mountPath);
      continue;
    }
    const source = volume.configMap ?? volume.secret;
    if (!source) throw new Error(`volume ${volume.name}: only configMap, secret and emptyDir volumes are modelled by this test`);
    const kind = volume.configMap ? "ConfigMap" : "Secret";
    const name = volume.configMap ? source.name : source.secretName;
    const object = findObject(objects, kind, name);
    if (!object) {
      if (source.optional) continue;
      throw new Error(`${kind} ${name} (volume ${volume.name}) does not exist when the pod starts`);
    }
    const data = entries(object);
    const items: { key: string; path: string }[] = source.items ?? [...data.keys()].map((key) => ({ key, path: key }));
    for (const item of items) {
      const content = data.get(item.key);
      if (content === undefined) throw new Error(`${kind} ${name} has no key ${item.key} (volume ${volume.name})`);
      files.set(join(mount.mountPath, mount.subPath ? "" : item.path), content);
    }
  }

  const entrypoint = container.command ?? image.entrypoint;
  const args = container.command ? (container.args ?? []) : (container.args ?? image.cmd);
  const argv = [...entrypoint, ...args].map((a: string) => expand(a, env));
  return { argv, env, files, writableDirs, workdir: container.workingDir ?? image.workdir };
}

/**
 * Lays the pod's files out under a fresh local directory and maps the container's paths to local ones: every mount
 * point to its directory there, the image's application directory to `appDir` (the repository, whose dist/ is what
 * the Dockerfile copies to /app/dist), and `node` to this Node binary.
 */
export function localProcess(
  process_: ContainerProcess,
  appDir: string,
  imageAppDir = "/app",
): { command: string; args: string[]; env: Record<string, string>; cwd: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), "cfe-pod-"));
  for (const [path, content] of process_.files) {
    const local = join(root, path);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, content);
  }
  for (const dir of process_.writableDirs) mkdirSync(join(root, dir), { recursive: true });
  const mountDirs = new Set([...[...process_.files.keys()].map((p) => dirname(p)), ...process_.writableDirs]);
  const prefixes: [string, string][] = [[imageAppDir, appDir], ...[...mountDirs].map((p): [string, string] => [p, join(root, p)])];
  prefixes.sort((a, b) => b[0].length - a[0].length);
  const map = (value: string): string => {
    for (const [from, to] of prefixes) {
      if (value === from || value.startsWith(`${from}/`)) return to + value.slice(from.length);
    }
    return value;
  };
  const [first, ...rest] = process_.argv;
  if (first !== "node") throw new Error(`the container starts ${first}, not node`);
  return {
    command: globalThis.process.execPath,
    args: rest.map(map),
    env: Object.fromEntries(Object.entries(process_.env).map(([k, v]) => [k, map(v)])),
    cwd: map(process_.workdir),
    root,
  };
}

/**
 * NOTES.txt as `helm install` would print it. `helm template` skips NOTES.txt and `helm install --dry-run` wants a
 * cluster, so a copy of the chart wraps the same text in a ConfigMap and renders that.
 */
export function renderNotes(options: RenderOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "cfe-notes-"));
  try {
    const copy = join(dir, "chart");
    cpSync(chartDir, copy, { recursive: true });
    const notes = readFileSync(join(chartDir, "templates", "NOTES.txt"), "utf8");
    writeFileSync(
      join(copy, "templates", "zz-notes-under-test.yaml"),
      `{{- define "notes-under-test" -}}\n${notes}\n{{- end -}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-under-test\ndata:\n  notes: {{ include "notes-under-test" . | toJson }}\n`,
    );
    const result = helm("template", options, ["--show-only", "templates/zz-notes-under-test.yaml"], copy);
    if (result.status !== 0) throw new Error(`rendering NOTES.txt failed: ${result.stderr}`);
    return String((parseAllDocuments(result.stdout)[0]!.toJS() as Manifest).data.notes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
