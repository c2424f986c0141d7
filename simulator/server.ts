/**
 * A fake of Cloudflare's GraphQL Analytics endpoint on 127.0.0.1, for the integration tests, `--demo` and
 * `cloudflare-es-exporter simulate`. It answers a request in this order: injected fault, authentication, parsing and
 * validation, request-size limits, query budget (per user, or per zone and account with `X-Rate-Limit-Type:
 * account-based`), execution. Errors come in Cloudflare's format, and any error makes `data` null. The REST
 * endpoints discovery lists zones and accounts from are served beside it, on the same origin (rest.ts).
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { execute, type GraphQLError } from "graphql";
import { CloudflareError, MESSAGES, errorBody, statusFor, wireError, type ErrorClass, type WireError } from "./errors.js";
import { FaultInjector, OwnerBudgets, QueryBudget, budgetBody, faultResponse, ownerBudgetBody, truncate, type OwnerCharge, type OwnerPeak } from "./faults.js";
import { resolveOptions, type FaultKind, type Scope, type SimulatorConfig, type SimulatorOptions } from "./options.js";
import { emptyRestStats, REST_ROUTE, RestSimulator, type RestStats } from "./rest.js";
import { countQueries, fillRows, namedZoneTags, ownerCharges, ownerMinutes, rootValue, type RequestContext } from "./resolvers.js";
import { parseAndValidate, simulatorSchema } from "./schema.js";
import { shapeTraffic, spliceHuge } from "./shapes.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, finalMinute, hourTotals, observedMinute, dayTotals, type TrafficData } from "./traffic.js";
import type { AdaptiveName } from "./options.js";
import { adaptiveEventList, adaptiveGroups, type AdaptiveEvent, type GroundTruthRow } from "./truth.js";

export interface RequestLogEntry {
  query: string;
  variables: unknown;
  status: number;
  /** Real time of arrival, epoch ms. */
  at: number;
}

export interface SimulatorStats {
  /** HTTP requests to the GraphQL endpoint. */
  requests: number;
  /** Responses sent, by HTTP status. */
  statuses: Record<number, number>;
  /**
   * Queries counted the way Cloudflare's rate limiter does: (zones + accounts) x dataset nodes of each executed request
   * (in account-based mode the sum of what its owners were charged).
   */
  queries: number;
  /** Injected faults, by kind. */
  faults: Record<FaultKind, number>;
  /** Requests refused because `budgetPerFiveMinutes` was used up. */
  budgetRejections: number;
  /** GraphQL requests (faulted or refused ones too) that opted into account-based rate limiting (`X-Rate-Limit-Type: account-based`). */
  accountBasedRequests: number;
  /** Account-based requests refused because a zone's or an account's own budget (`ownerBudgetPerFiveMinutes`) was used up. */
  ownerBudgetRejections: number;
  /** Account-based requests refused because their `zones` filters named more than one zone. */
  zoneListRejections: number;
  /**
   * Account-based rate limiting: the most queries any one zone or account had charged within one sliding 5-minute
   * window (on `budgetClock`) since the start or the last reset, and which owner; null before the first charge.
   */
  ownerBudgetPeak: OwnerPeak | null;
  /**
   * `padBodyToBytes` answers the client went away from before their end: proof that a client refused a huge answer
   * while it streamed instead of reading it whole (an RSS figure is too noisy to show that).
   */
  paddedAnswersCut: number;
  /** Every request, oldest first (the oldest are dropped beyond 10,000 so a long `simulate` stays small). */
  log: RequestLogEntry[];
  /** The REST endpoints' requests (`GET /accounts`, `GET /zones`), counted apart: they have their own limit. */
  rest: RestStats;
}

export interface Simulator {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:40123/client/v4/graphql */
  readonly url: string;
  /** The REST API's base, e.g. http://127.0.0.1:40123/client/v4 (what the exporter derives from `url`). */
  readonly restUrl: string;
  /** Resolved options; change them at any time, the next request uses them. */
  readonly options: SimulatorConfig;
  readonly stats: SimulatorStats;
  /**
   * What the simulator serves. The rollup rows (minute, observed, hour, day) are as served with the current
   * `repeatedMapNames` and `partialMaps` (repeated names and cut maps included; totals never change), without
   * `hugeNumbers`. The exported finalMinute / hourTotals / dayTotals are the model before any shape.
   */
  readonly groundTruth: {
    /** The minute's final values (null: Cloudflare has no row for it). */
    minute(zoneTag: string, minuteMs: number): TrafficData | null;
    /** The minute as the simulator would serve it now (its clock and lateMinutes). */
    observed(zoneTag: string, minuteMs: number): TrafficData | null;
    /** The sum of the hour's 60 final minutes. */
    hour(zoneTag: string, hourMs: number): TrafficData | null;
    /** The sum of the UTC day's 1,440 final minutes (httpRequests1dGroups). */
    day(zoneTag: string, dayMs: number): TrafficData | null;
    /**
     * An adaptive node's rows for a zone or account tag over [startMs, endMs), grouped by `groupBy` dimensions and
     * filtered by a GraphQL-style `filter` object, as the simulator would serve them now (its clock and lateMinutes),
     * with every aggregate the node has, in default order and without a limit. With `repeatedGroupRows` these stay
     * the merged rows (one per group, what an exporter must store), not the split rows served.
     */
    groups(
      node: AdaptiveName,
      tag: string,
      startMs: number,
      endMs: number,
      groupBy?: readonly string[],
      filter?: Readonly<Record<string, unknown>>,
    ): GroundTruthRow[];
    /** The sampled events behind `groups`, with every dimension and metric. */
    events(node: AdaptiveName, tag: string, startMs: number, endMs: number): AdaptiveEvent[];
  };
  /**
   * Account-based rate limiting: the queries charged to one zone or account in the 5-minute window ending now (on
   * `budgetClock`).
   */
  ownerBudgetUsed(scope: Scope, tag: string): number;
  /** Zeroes the stats and empties the query budget windows (the per-user one and every owner's). */
  reset(): void;
  close(): Promise<void>;
}

/** Status and body of one answer; `success` marks a GraphQL answer without errors (the ones `padBodyToBytes` pads). */
interface Answer {
  status: number;
  body: string;
  success?: boolean;
}

const ENDPOINT = /^\/client\/v4\/graphql\/?(\?.*)?$/;
const MAX_BODY = 1 << 20;
const MAX_LOG = 10_000;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const config = resolveOptions(options);
  const schema = simulatorSchema();
  const faults = new FaultInjector(options.seed ?? 1);
  const budget = new QueryBudget();
  const ownerBudgets = new OwnerBudgets();
  const budgetNow = (): number => (config.budgetClock === "simulated" ? config.now() : Date.now());
  const stats: SimulatorStats = emptyStats();
  const rest = new RestSimulator(config, stats.rest);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (REST_ROUTE.test(req.url ?? "")) {
      await readBody(req);
      if (config.latencyMs > 0) await new Promise((r) => setTimeout(r, config.latencyMs));
      const answer = rest.answer(req);
      return send(res, answer.status, answer.body, answer.headers);
    }
    if (!ENDPOINT.test(req.url ?? "")) return send(res, 404, JSON.stringify({ success: false, errors: [{ code: 7000, message: "No route for that URI" }] }));
    if (req.method !== "POST") return send(res, 405, JSON.stringify({ success: false, errors: [{ message: "Method not allowed" }] }));
    const request = parseRequest(await readBody(req));
    stats.requests++;
    if (accountBased(req)) stats.accountBasedRequests++;
    const entry: RequestLogEntry = { query: request.query, variables: request.variables, status: 0, at: Date.now() };
    stats.log.push(entry);
    if (stats.log.length > MAX_LOG) stats.log.shift();
    if (config.latencyMs > 0) await new Promise((r) => setTimeout(r, config.latencyMs));

    const fault = faults.draw(config);
    if (fault) stats.faults[fault]++;
    let answer: Answer = fault && fault !== "truncated" ? faultResponse(fault, config.now()) : respond(request, req);
    if (fault === "truncated") answer = { status: 200, body: truncate(answer.body) };
    entry.status = answer.status;
    stats.statuses[answer.status] = (stats.statuses[answer.status] ?? 0) + 1;
    if (answer.success && config.padBodyToBytes > Buffer.byteLength(answer.body)) {
      if (!(await sendPadded(res, answer.status, answer.body, config.padBodyToBytes))) stats.paddedAnswersCut++;
    } else send(res, answer.status, answer.body);
  };

  /** Everything after the HTTP plumbing: decides the status and body of one request. */
  const respond = (request: GraphQLRequest, req: IncomingMessage): Answer => {
    const now = config.now();
    const fail = (errorClass: ErrorClass, errors: WireError[]): Answer => ({ status: statusFor(errorClass, config.statusCodes), body: errorBody(errors) });

    if (!authorized(req, config.tokens)) return fail("auth", [wireError(MESSAGES.unauthorized, undefined, now)]);
    if (request.invalid !== undefined) {
      return fail("parse", [wireError(`failed to recognize JSON request: '${request.invalid}'`, undefined, now)]);
    }
    const { query, operationName } = request;
    const variables = isObject(request.variables) ? request.variables : {};

    const document = parseAndValidate(schema, query);
    if (Array.isArray(document))
      return fail(
        "parse",
        document.map((m) => wireError(m, undefined, now)),
      );

    const cost = countQueries(schema, document, operationName, variables, config.maxZonesPerQuery);
    // Request-size refusals come before the budget, so they are not charged to it.
    if (config.maxQueriesPerRequest !== undefined && cost > config.maxQueriesPerRequest) {
      return fail("rate", [wireError(MESSAGES.tooManyNodes, undefined, now)]);
    }
    if (
      config.maxOwnerMinutesPerRequest !== undefined &&
      ownerMinutes(schema, document, operationName, variables, config.maxZonesPerQuery, now) > config.maxOwnerMinutesPerRequest
    ) {
      return fail("rate", [wireError(MESSAGES.excessiveResources, undefined, now)]);
    }
    const realNow = config.budgetClock === "simulated" ? now : Date.now();
    if (accountBased(req)) {
      // Account-based rate limiting: every zone and account has a budget of its own, and the per-user one is left
      // alone. A list of zones is refused before anything is charged.
      if (namedZoneTags(schema, document, operationName, variables).size > 1) {
        stats.zoneListRejections++;
        return fail("limit", [wireError(MESSAGES.zoneListAccountBased, undefined, now)]);
      }
      const charges = ownerCharges(schema, document, operationName, variables, config.maxZonesPerQuery);
      const limitOf = (c: OwnerCharge): number => (Object.hasOwn(config.ownerBudgets, c.tag) ? config.ownerBudgets[c.tag]! : config.ownerBudgetPerFiveMinutes);
      const over = ownerBudgets.charge(charges, limitOf, realNow);
      if (over) {
        stats.ownerBudgetRejections++;
        return { status: statusFor("rate", config.statusCodes), body: ownerBudgetBody(over.scope, over.tag, now) };
      }
      stats.ownerBudgetPeak = ownerBudgets.peak() ?? null;
    } else if (!budget.charge(cost, config.budgetPerFiveMinutes, realNow)) {
      stats.budgetRejections++;
      return { status: statusFor("rate", config.statusCodes), body: budgetBody(now) };
    }
    stats.queries += cost;

    const context: RequestContext = { config, now, schema, rows: [] };
    // In account-based mode too `viewer { budget }` answers what is left of the per-user budget (which such requests
    // do not spend): what it means in that mode is not documented.
    const budgetLeft = Math.max(0, config.budgetPerFiveMinutes - budget.used(realNow));
    const result = execute({
      schema,
      document,
      variableValues: variables,
      contextValue: context,
      rootValue: rootValue(cost, budgetLeft),
      ...(operationName === undefined ? {} : { operationName }),
    });
    if ("then" in result) throw new Error("resolvers are synchronous"); // narrows the type; never happens
    if (result.errors && result.errors.length > 0) {
      return fail(
        cloudflareClass(result.errors[0]!),
        result.errors.map((e) => toWire(e, now)),
      );
    }
    if (result.data) fillRows(result.data, context.rows);
    const body = JSON.stringify({ data: result.data, errors: null });
    return { status: 200, body: config.hugeNumbers ? spliceHuge(body) : body, success: true };
  };
  const shaped = (data: TrafficData | null, zoneTag: string, start: number, span: number): TrafficData | null =>
    config.idleTags.has(zoneTag) ? null : data && shapeTraffic(data, { zoneTag, start, span }, config);
  const idle = (tag: string): boolean => config.idleTags.has(tag);

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A simulator bug, not a simulated failure: make it loud in the test that hit it.
      send(res, 500, JSON.stringify({ data: null, errors: [{ message: `simulator bug: ${(e as Error).stack ?? String(e)}` }] }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/client/v4/graphql`,
    restUrl: `http://127.0.0.1:${port}/client/v4`,
    options: config,
    stats,
    groundTruth: {
      minute: (zoneTag, minuteMs) => shaped(finalMinute(zoneTag, minuteMs), zoneTag, minuteMs, MINUTE_MS),
      observed: (zoneTag, minuteMs) => shaped(observedMinute(zoneTag, minuteMs, config.now(), config.lateMinutes), zoneTag, minuteMs, MINUTE_MS),
      hour: (zoneTag, hourMs) => shaped(hourTotals(zoneTag, hourMs), zoneTag, hourMs, HOUR_MS),
      day: (zoneTag, dayMs) => shaped(dayTotals(zoneTag, dayMs), zoneTag, dayMs, DAY_MS),
      groups: (node, tag, startMs, endMs, groupBy = [], filter = {}) =>
        idle(tag) ? [] : adaptiveGroups(node, tag, startMs, endMs, groupBy, filter, { now: config.now(), lateMinutes: config.lateMinutes }),
      events: (node, tag, startMs, endMs) =>
        idle(tag) ? [] : adaptiveEventList(node, tag, startMs, endMs, { now: config.now(), lateMinutes: config.lateMinutes }),
    },
    ownerBudgetUsed: (scope, tag) => ownerBudgets.used(scope, tag, budgetNow()),
    reset() {
      const { rest: restStats, ...fresh } = emptyStats();
      Object.assign(stats, fresh);
      // The REST simulator keeps its stats object: emptied in place.
      Object.assign(stats.rest, restStats);
      budget.reset();
      ownerBudgets.reset();
      rest.reset();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections(); // keep-alive sockets of fetch would hold close() open
      }),
  };
}

function emptyStats(): SimulatorStats {
  return {
    requests: 0,
    statuses: {},
    queries: 0,
    faults: { budget200: 0, http429: 0, http503: 0, truncated: 0, http500: 0 },
    budgetRejections: 0,
    accountBasedRequests: 0,
    ownerBudgetRejections: 0,
    zoneListRejections: 0,
    ownerBudgetPeak: null,
    paddedAnswersCut: 0,
    log: [],
    rest: emptyRestStats(),
  };
}

/** Whether a request opts into account-based rate limiting: `X-Rate-Limit-Type: account-based`. */
function accountBased(req: IncomingMessage): boolean {
  const value = req.headers["x-rate-limit-type"];
  return typeof value === "string" && value.trim().toLowerCase() === "account-based";
}

/** `Authorization: Bearer <token>`, or `X-Auth-Email` with `X-Auth-Key`; with a token list only those tokens pass. */
function authorized(req: IncomingMessage, tokens: readonly string[] | undefined): boolean {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
  if (tokens) return bearer !== undefined && tokens.includes(bearer);
  return bearer !== undefined || (Boolean(req.headers["x-auth-email"]) && Boolean(req.headers["x-auth-key"]));
}

function cloudflareClass(error: GraphQLError): ErrorClass {
  return error.originalError instanceof CloudflareError ? error.originalError.errorClass : "parse";
}

function toWire(error: GraphQLError, now: number): WireError {
  const original = error.originalError;
  if (original instanceof CloudflareError) return wireError(original.message, error.path, now, original.code);
  // graphql-js' own execution errors (a variable's value, a null for a non-null argument) are argument errors.
  return wireError(`error parsing args: ${error.message}`, error.path, now);
}

interface GraphQLRequest {
  query: string;
  variables: unknown;
  operationName: string | undefined;
  /** Why the body is not a JSON object, if it is not. */
  invalid: string | undefined;
}

function parseRequest(raw: string): GraphQLRequest {
  let body: unknown;
  let invalid: string | undefined;
  try {
    body = JSON.parse(raw);
    if (!isObject(body)) invalid = "not an object";
  } catch (e) {
    invalid = (e as Error).message;
  }
  const fields = isObject(body) ? body : {};
  return {
    query: typeof fields["query"] === "string" ? fields["query"] : "",
    variables: fields["variables"],
    operationName: typeof fields["operationName"] === "string" ? fields["operationName"] : undefined,
    invalid,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY) chunks.push(chunk as Buffer); // beyond that it is dropped; the JSON then fails to parse
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: string, headers: Readonly<Record<string, string>> = {}): void {
  const type = body.startsWith("<") ? "text/html" : "application/json";
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

const PAD_CHUNK = 1 << 20;
let spaces: Buffer | undefined;

/**
 * `padBodyToBytes`: the answer with whitespace before its final `}` up to `size` bytes, streamed in 1 MiB chunks of
 * one shared buffer with backpressure and without a content-length (chunked), so a huge answer is never built in
 * memory and a client has to count the bytes as they come. Stops quietly when the client goes away, answering false.
 */
async function sendPadded(res: ServerResponse, status: number, body: string, size: number): Promise<boolean> {
  spaces ??= Buffer.alloc(PAD_CHUNK, 0x20);
  const head = Buffer.from(body.slice(0, -1), "utf8"); // every JSON answer ends with "}"
  let left = size - head.length - 1;
  res.writeHead(status, { "content-type": "application/json" });
  let open = res.write(head);
  while (left > 0) {
    if (res.destroyed) return false;
    if (!open) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
      if (res.destroyed) return false;
    }
    const n = Math.min(PAD_CHUNK, left);
    open = res.write(n === PAD_CHUNK ? spaces : spaces.subarray(0, n));
    left -= n;
  }
  res.end("}");
  return true;
}
