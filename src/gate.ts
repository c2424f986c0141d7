/**
 * The predecessor's concurrency gate, made safe: `GET <uri>?cluster=..&namespace=..` answers `True` when this
 * environment is the active one. Anything else (another body, a non-2xx status, an error, no answer in time) means
 * "not allowed": with two environments running the same CronJob, failing closed is what prevents double work.
 */
import type { GateConfig } from "./config/types.js";

export interface GateDecision {
  readonly allowed: boolean;
  /** Why, in words fit for a log line (never containing the URI's credentials). */
  readonly reason: string;
}

export async function askGate(gate: GateConfig): Promise<GateDecision> {
  if (!gate.uri) return { allowed: true, reason: "no gate configured" };
  const url = new URL(gate.uri);
  url.searchParams.set("cluster", gate.cluster);
  url.searchParams.set("namespace", gate.namespace);
  const shown = `${url.origin}${url.pathname}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(gate.timeoutSeconds * 1000), redirect: "follow" });
    const body = (await response.text()).trim();
    if (!response.ok) return { allowed: false, reason: `gate ${shown} answered HTTP ${response.status}` };
    if (body.toLowerCase() === "true") return { allowed: true, reason: `gate ${shown} answered True` };
    if (body.toLowerCase() === "false") return { allowed: false, reason: `gate ${shown} answered False: another environment is active` };
    return { allowed: false, reason: `gate ${shown} answered neither True nor False (${JSON.stringify(body.slice(0, 40))})` };
  } catch (error) {
    const why = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${gate.timeoutSeconds}s` : String((error as Error)?.cause ?? error);
    return { allowed: false, reason: `gate ${shown} unreachable (${why})` };
  }
}
