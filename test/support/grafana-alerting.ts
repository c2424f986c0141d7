/**
 * Grafana-managed alert rules from a provisioning file, evaluated the way Grafana's server-side expressions do it,
 * against the real Elasticsearch: each Elasticsearch query runs over its `relativeTimeRange` ending at `now`; a
 * result that is one table with exactly one number column becomes a set of labelled numbers (string columns are the
 * labels); `math`, `reduce` and `threshold` expressions combine them; every item of the condition that is non-zero
 * is a firing alert instance.
 */
import type { Client } from "@elastic/elasticsearch";
import { parseResponse, searchBody, type Frame, type QueryContext, type Target } from "./grafana-query.js";

interface RuleQuery {
  refId: string;
  relativeTimeRange?: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

export interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: RuleQuery[];
  noDataState?: string;
  execErrState?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface AlertItem {
  labels: Record<string, string>;
  value: number | null;
  /** For series (before a reduce). */
  points?: (number | null)[];
}

export interface RuleResult {
  /** Items of the condition with a non-zero value. */
  firing: AlertItem[];
  /** Every item of every refId, for messages. */
  values: Record<string, AlertItem[]>;
  noData: boolean;
}

/** Turns one query's frames into alerting values: a number table into numbers, series into series. */
export function framesToItems(frames: readonly Frame[]): AlertItem[] {
  const tables = frames.filter((f) => f.kind === "table");
  if (frames.length === 1 && tables.length === 1) {
    const table = tables[0]!;
    const numeric = table.fields.filter((f) => f.type === "number");
    if (numeric.length !== 1) throw new Error(`a table for alerting needs exactly one number column, got ${numeric.map((f) => f.name).join(", ")}`);
    const strings = table.fields.filter((f) => f.type === "string");
    return numeric[0]!.values.map((v, i) => ({
      labels: Object.fromEntries(strings.map((s) => [s.name, String(s.values[i])])),
      value: typeof v === "number" ? v : null,
    }));
  }
  return frames.map((f) => {
    if (f.kind === "table") throw new Error("a table mixed with series cannot be alerted on");
    return { labels: f.labels, value: null, points: f.points.map((p) => p.value) };
  });
}

// ---------------------------------------------------------------- math expressions

type Operand = { kind: "scalar"; value: number } | { kind: "set"; items: AlertItem[] };
type Token = { t: "ref"; v: string } | { t: "num"; v: number } | { t: "op"; v: string } | { t: "paren"; v: "(" | ")" };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:\$\{(\w+)\}|\$(\w+)|(\d+(?:\.\d+)?)|(\|\||&&|==|!=|>=|<=|>|<|\+|-|\*|\/)|([()]))/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < expression.length && (m = re.exec(expression))) {
    at = re.lastIndex;
    if (m[1] ?? m[2]) tokens.push({ t: "ref", v: (m[1] ?? m[2])! });
    else if (m[3]) tokens.push({ t: "num", v: Number(m[3]) });
    else if (m[4]) tokens.push({ t: "op", v: m[4] });
    else if (m[5]) tokens.push({ t: "paren", v: m[5] as "(" | ")" });
    if (expression.slice(at).trim() === "") break;
  }
  if (expression.slice(at).trim() !== "") throw new Error(`cannot parse math expression near "${expression.slice(at)}"`);
  return tokens;
}

const PRECEDENCE: Record<string, number> = { "||": 1, "&&": 2, "==": 3, "!=": 3, ">": 3, "<": 3, ">=": 3, "<=": 3, "+": 4, "-": 4, "*": 5, "/": 5 };

function applyOp(op: string, a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  switch (op) {
    case "||":
      return a !== 0 || b !== 0 ? 1 : 0;
    case "&&":
      return a !== 0 && b !== 0 ? 1 : 0;
    case "==":
      return a === b ? 1 : 0;
    case "!=":
      return a !== b ? 1 : 0;
    case ">":
      return a > b ? 1 : 0;
    case "<":
      return a < b ? 1 : 0;
    case ">=":
      return a >= b ? 1 : 0;
    case "<=":
      return a <= b ? 1 : 0;
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? null : a / b;
  }
  throw new Error(`operator ${op}`);
}

const subset = (a: Record<string, string>, b: Record<string, string>) => Object.entries(a).every(([k, v]) => b[k] === v);

/** Binary operation on two operands; two sets join on labels (equal, or one a subset of the other). */
function binary(op: string, left: Operand, right: Operand): Operand {
  if (left.kind === "scalar" && right.kind === "scalar") return { kind: "scalar", value: applyOp(op, left.value, right.value) ?? Number.NaN };
  if (left.kind === "scalar")
    return { kind: "set", items: (right as { items: AlertItem[] }).items.map((i) => ({ labels: i.labels, value: applyOp(op, left.value, i.value) })) };
  if (right.kind === "scalar") return { kind: "set", items: left.items.map((i) => ({ labels: i.labels, value: applyOp(op, i.value, right.value) })) };
  if (left.items.length === 1 || right.items.length === 1) {
    const out: AlertItem[] = [];
    for (const a of left.items) for (const b of right.items) out.push({ labels: { ...a.labels, ...b.labels }, value: applyOp(op, a.value, b.value) });
    return { kind: "set", items: out };
  }
  const out: AlertItem[] = [];
  for (const a of left.items) {
    for (const b of right.items) {
      if (subset(a.labels, b.labels) || subset(b.labels, a.labels)) out.push({ labels: { ...a.labels, ...b.labels }, value: applyOp(op, a.value, b.value) });
    }
  }
  return { kind: "set", items: out };
}

export function evaluateMath(expression: string, refs: Readonly<Record<string, AlertItem[]>>): AlertItem[] {
  const tokens = tokenize(expression);
  let pos = 0;
  const primary = (): Operand => {
    const tok = tokens[pos++];
    if (!tok) throw new Error(`unexpected end of "${expression}"`);
    if (tok.t === "num") return { kind: "scalar", value: tok.v };
    if (tok.t === "ref") {
      const items = refs[tok.v];
      if (!items) throw new Error(`math refers to unknown ${tok.v}`);
      if (items.some((i) => i.points)) throw new Error(`math on series ${tok.v}: reduce it first`);
      return { kind: "set", items };
    }
    if (tok.t === "paren" && tok.v === "(") {
      const inner = expr(0);
      if (tokens[pos++]?.v !== ")") throw new Error(`missing ) in "${expression}"`);
      return inner;
    }
    throw new Error(`unexpected ${String(tok.v)} in "${expression}"`);
  };
  const expr = (minPrec: number): Operand => {
    let left = primary();
    for (;;) {
      const tok = tokens[pos];
      if (!tok || tok.t !== "op" || PRECEDENCE[tok.v]! < minPrec) return left;
      pos++;
      const right = expr(PRECEDENCE[tok.v]! + 1);
      left = binary(tok.v, left, right);
    }
  };
  const result = expr(0);
  if (pos !== tokens.length) throw new Error(`trailing tokens in "${expression}"`);
  return result.kind === "scalar" ? [{ labels: {}, value: result.value }] : result.items;
}

// ---------------------------------------------------------------- rules

function reduceItems(items: AlertItem[], reducer: string, mode: string | undefined): AlertItem[] {
  return items.map((i) => {
    let points = i.points ?? [i.value];
    if (mode === "dropNN") points = points.filter((p) => p !== null && !Number.isNaN(p));
    const nums = points.filter((p): p is number => p !== null);
    let value: number | null;
    switch (reducer) {
      case "last":
        value = points.length ? (points[points.length - 1] ?? null) : null;
        break;
      case "sum":
        value = nums.reduce((a, b) => a + b, 0);
        break;
      case "max":
        value = nums.length ? Math.max(...nums) : null;
        break;
      case "min":
        value = nums.length ? Math.min(...nums) : null;
        break;
      case "mean":
        value = nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : null;
        break;
      case "count":
        value = points.length;
        break;
      default:
        throw new Error(`reducer ${reducer}`);
    }
    return { labels: i.labels, value };
  });
}

function threshold(items: AlertItem[], conditions: { evaluator: { type: string; params: number[] } }[]): AlertItem[] {
  const { type, params } = conditions[0]!.evaluator;
  const test = (v: number): boolean => {
    switch (type) {
      case "gt":
        return v > params[0]!;
      case "lt":
        return v < params[0]!;
      case "within_range":
        return v > params[0]! && v < params[1]!;
      case "outside_range":
        return v < params[0]! || v > params[1]!;
    }
    throw new Error(`threshold ${type}`);
  };
  return items.map((i) => ({ labels: i.labels, value: i.value === null ? null : test(i.value) ? 1 : 0 }));
}

export interface EvaluateOptions {
  now: number;
  /** Data source uid -> index pattern the query runs against. */
  indices: Readonly<Record<string, string>>;
  timeField?: string;
}

export async function evaluateRule(es: Client, rule: AlertRule, options: EvaluateOptions): Promise<RuleResult> {
  const values: Record<string, AlertItem[]> = {};
  for (const q of rule.data) {
    const model = q.model;
    if (q.datasourceUid === "__expr__") {
      const expression = (model.expression as string | undefined) ?? "";
      switch (model.type) {
        case "math":
          values[q.refId] = evaluateMath(expression, values);
          break;
        case "reduce":
          values[q.refId] = reduceItems(values[expression] ?? [], String(model.reducer), (model.settings as { mode?: string } | undefined)?.mode);
          break;
        case "threshold":
          values[q.refId] = threshold(values[expression] ?? [], model.conditions as never);
          break;
        default:
          throw new Error(`rule ${rule.uid}: expression type ${String(model.type)} is not emulated`);
      }
      continue;
    }
    const index = options.indices[q.datasourceUid];
    if (!index) throw new Error(`rule ${rule.uid}: no index for data source ${q.datasourceUid}`);
    const range = q.relativeTimeRange ?? { from: 600, to: 0 };
    const ctx: QueryContext = {
      from: options.now - range.from * 1000,
      to: options.now - range.to * 1000,
      intervalMs: Number(model.intervalMs ?? 1000),
      timeField: options.timeField ?? "@timestamp",
    };
    const target = { ...(model as unknown as Target), refId: q.refId };
    const response = await es.search({ index, ignore_unavailable: true, allow_no_indices: true, ...searchBody(target, ctx) });
    values[q.refId] = framesToItems(parseResponse(target, response as unknown as Record<string, unknown>));
  }
  const condition = values[rule.condition] ?? [];
  return { firing: condition.filter((i) => i.value !== null && i.value !== 0 && !Number.isNaN(i.value)), values, noData: condition.length === 0 };
}
