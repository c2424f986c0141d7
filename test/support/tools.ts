/**
 * The external tools the chart and image tests run (helm, kubeconform, hadolint, offline Kubernetes schemas), as
 * installed by scripts/install-tools.sh into .cache/tools (or $TOOLS_DIR). A missing tool fails the test that needs
 * it with the command that installs it: CI installs them, so a skip would only hide a broken install step.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

const toolsDir = process.env.TOOLS_DIR ?? join(repoRoot, ".cache", "tools");

/** The chart's kubeVersion floor and the newest Kubernetes release the offline schemas cover. */
export const KUBE_VERSIONS = ["1.27.0", "1.37.0"] as const;

const INSTALL = "run `bash scripts/install-tools.sh` (it installs helm, kubeconform, hadolint and the Kubernetes schemas into .cache/tools)";

export function tool(name: "helm" | "kubeconform" | "hadolint"): string {
  const path = join(toolsDir, "bin", name);
  if (!existsSync(path)) throw new Error(`${name} is not installed at ${path}: ${INSTALL}`);
  return path;
}

export function schemaLocation(): string {
  const dir = join(toolsDir, "kubernetes-json-schema");
  for (const version of KUBE_VERSIONS) {
    if (!existsSync(join(dir, `v${version}-local-strict`, "cronjob-batch-v1.json")))
      throw new Error(`the Kubernetes ${version} schemas are not installed under ${dir}: ${INSTALL}`);
  }
  return join(dir, "{{ .NormalizedKubernetesVersion }}-local-strict", "{{ .ResourceKind }}{{ .KindSuffix }}.json");
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(path: string, args: readonly string[], input?: string): ToolResult {
  const result = spawnSync(path, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...(input === undefined ? {} : { input }) });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
