/**
 * Shapes real answers can take that the plain model does not produce: repeated map names and partial maps in the
 * rollups, repeated rows in the grouped (Adaptive) nodes, integers above 2^53. Each is a switch of SimulatorOptions,
 * off by default; with a switch off its function returns its input unchanged (the same object), so the plain
 * simulator is exactly what it was. Every decision is seeded by what the row is (owner, time, key), never by a
 * request counter, so the same options give the same answers and ground truth can apply the same shapes.
 */

import type { MapName, SimulatorConfig } from "./options.js";
import type { TrafficData, TrafficSum } from "./traffic.js";

// ---- Seeded decisions ----

/** FNV-1a over the parts, finished with a murmur3-style mix: a well spread 32-bit hash. */
function hash(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join("\u0001");
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) decided by the parts. */
const draw = (...parts: readonly (string | number)[]): number => hash(...parts) / 4_294_967_296;

// ---- Rollup maps ----

/** Each map's additive figures; the first is the one the map is ranked by and whose total the map adds up to. */
const MAP_FIGURES: Readonly<Record<MapName, readonly string[]>> = {
  countryMap: ["requests", "bytes", "threats"],
  responseStatusMap: ["requests"],
  contentTypeMap: ["requests", "bytes"],
  browserMap: ["pageViews"],
  clientSSLMap: ["requests"],
  clientHTTPVersionMap: ["requests"],
  ipClassMap: ["requests"],
  threatPathingMap: ["requests"],
};

/** The name field of each map's entries. */
const MAP_KEYS: Readonly<Record<MapName, string>> = {
  countryMap: "clientCountryName",
  responseStatusMap: "edgeResponseStatus",
  contentTypeMap: "edgeResponseContentTypeName",
  browserMap: "uaBrowserFamily",
  clientSSLMap: "clientSSLProtocol",
  clientHTTPVersionMap: "clientHTTPProtocol",
  ipClassMap: "ipType",
  threatPathingMap: "threatPathingName",
};

/**
 * Maps that repeat names with `repeatedMapNames`. contentTypeMap is what the recorded answer showed (several MIME
 * types share one short name); the other two are our model, for a numeric key and a three-figure map.
 */
const REPEATING: readonly MapName[] = ["contentTypeMap", "responseStatusMap", "countryMap"];
/** Chance that an entry of 2 or more is split. */
const REPEAT_CHANCE = 0.35;

type Entry = Record<string, string | number>;

/** Where a rollup row sits: its owner, its start and its span (minute, hour, day; 0 for a query's one total row). */
export interface RowPlace {
  zoneTag: string;
  start: number;
  span: number;
}

/**
 * A rollup row as served under `config`: partial maps first (they cut the entries the model has), then repeated
 * names (they split what is left). Totals, `uniq` and `avg` are never touched. Returns `data` itself when both
 * switches are off.
 */
export function shapeTraffic(data: TrafficData, place: RowPlace, config: Pick<SimulatorConfig, "repeatedMapNames" | "partialMaps">): TrafficData {
  const partial = Object.entries(config.partialMaps).filter(([, share]) => share !== undefined && share < 1);
  if (!config.repeatedMapNames && partial.length === 0) return data;
  const sum: TrafficSum = { ...data.sum };
  const maps = sum as unknown as Record<MapName, Entry[]>;
  for (const [map, share] of partial) maps[map as MapName] = partialMap(maps[map as MapName], map as MapName, share);
  if (config.repeatedMapNames) {
    for (const map of REPEATING) maps[map] = repeatNames(maps[map], map, place);
  }
  return { ...data, sum };
}

/**
 * The entries covering floor(share x total) of the map's main figure: largest first, whole while they fit, the one
 * that crosses the line cut down (its other figures in proportion, floored), the rest dropped. Floors only, so no
 * figure can add up to more than before.
 */
function partialMap(entries: readonly Entry[], map: MapName, share: number): Entry[] {
  const [main, ...others] = MAP_FIGURES[map] as [string, ...string[]];
  const total = entries.reduce((s, e) => s + (e[main] as number), 0);
  const target = Math.floor(Math.max(0, share) * total);
  const out: Entry[] = [];
  let covered = 0;
  for (const e of entries) {
    const value = e[main] as number;
    if (covered + value <= target) {
      out.push(e);
      covered += value;
      continue;
    }
    const part = target - covered;
    if (part > 0) {
      const cut: Entry = { ...e, [main]: part };
      for (const f of others) cut[f] = Math.floor(((e[f] as number) * part) / value);
      out.push(cut);
    }
    break;
  }
  return out;
}

/**
 * Splits some entries of 2 or more into two with the same name, the first part 10-45 % of the entry (the recorded
 * answer's pairs were 15-33 % / the rest). In contentTypeMap, if no entry was drawn the largest eligible one is split,
 * so nearly every row shows a repeat. The list stays ranked by the main figure, largest first.
 */
function repeatNames(entries: readonly Entry[], map: MapName, place: RowPlace): Entry[] {
  const [main, ...others] = MAP_FIGURES[map] as [string, ...string[]];
  const key = MAP_KEYS[map];
  const where = [place.zoneTag, place.start, place.span, map];
  const eligible = entries.map((e) => (e[main] as number) >= 2);
  const chosen = entries.map((e, i) => eligible[i]! && draw(...where, e[key]!, "split") < REPEAT_CHANCE);
  if (map === "contentTypeMap" && !chosen.includes(true)) {
    const first = eligible.indexOf(true);
    if (first >= 0) chosen[first] = true;
  }
  if (!chosen.includes(true)) return entries as Entry[];
  const out: Entry[] = [];
  entries.forEach((e, i) => {
    if (!chosen[i]) {
      out.push(e);
      return;
    }
    const value = e[main] as number;
    const share = 0.1 + 0.35 * draw(...where, e[key]!, "share");
    const a = Math.min(value - 1, Math.max(1, Math.round(value * share)));
    const first: Entry = { ...e, [main]: a };
    const second: Entry = { ...e, [main]: value - a };
    for (const f of others) {
      const part = Math.floor(((e[f] as number) * a) / value);
      first[f] = part;
      second[f] = (e[f] as number) - part;
    }
    out.push(first, second);
  });
  // Stable: equal figures keep the model's order.
  return out.sort((x, y) => (y[main] as number) - (x[main] as number));
}

// ---- Adaptive group rows ----

/**
 * Chance that an eligible row is split. Decided per row (its node, owner and dimensions) and never per answer, so a
 * row is split the same way whatever window or limit brought it; an answer of a dozen rows almost surely has a pair.
 */
const ROW_REPEAT_CHANCE = 0.4;

/**
 * The rows of one Adaptive answer with some split in two (`repeatedGroupRows`): the two halves sit where the row was,
 * with the same dimensions; `count` and every `sum` number are split (integers into integers, floats so that the
 * halves add up to the original exactly); everything else, `confidence` included, is the original's in both. A row
 * is eligible when its main additive figure (`count`, else `sum.requests`) is 2 or more, or when it has neither (it
 * is then repeated as it is: r2 storage rows hold only maxima). The caller cuts the result at the query's limit again.
 */
export function splitGroupRows(rows: readonly Record<string, unknown>[], node: string, tag: string): Record<string, unknown>[] {
  const where = (row: Record<string, unknown>): string => `${node}\u0001${tag}\u0001${JSON.stringify(row["dimensions"] ?? {})}`;
  const mainOf = (row: Record<string, unknown>): number | undefined => {
    if (typeof row["count"] === "number") return row["count"];
    const requests = (row["sum"] as Record<string, unknown> | undefined)?.["requests"];
    return typeof requests === "number" ? requests : undefined;
  };
  const eligible = rows.map((row) => {
    const main = mainOf(row);
    return main === undefined || main >= 2;
  });
  const chosen = rows.map((row, i) => eligible[i]! && draw(where(row), "split") < ROW_REPEAT_CHANCE);
  if (!chosen.includes(true)) return rows as Record<string, unknown>[];
  const out: Record<string, unknown>[] = [];
  rows.forEach((row, i) => {
    if (!chosen[i]) {
      out.push(row);
      return;
    }
    // Share of the first half, at least one half: then x - a is exact in floating point (Sterbenz), so a + (x - a)
    // gives back x to the last bit.
    let share = 0.5 + 0.4 * draw(where(row), "share");
    const main = mainOf(row);
    if (main !== undefined) share = Math.min(main - 1, Math.max(1, Math.round(main * share))) / main;
    const split = (x: number): [number, number] => {
      const a = Number.isInteger(x) ? Math.round(x * share) : x * share; // rounding gives the main figure its exact part
      return [a, x - a];
    };
    const first: Record<string, unknown> = { ...row };
    const second: Record<string, unknown> = { ...row };
    if (typeof row["count"] === "number") [first["count"], second["count"]] = split(row["count"]);
    const sum = row["sum"] as Record<string, unknown> | undefined;
    if (sum) {
      const s1: Record<string, unknown> = { ...sum };
      const s2: Record<string, unknown> = { ...sum };
      for (const [field, value] of Object.entries(sum)) {
        if (typeof value === "number") [s1[field], s2[field]] = split(value);
      }
      first["sum"] = s1;
      second["sum"] = s2;
    }
    out.push(first, second);
  });
  return out;
}

// ---- Integers above 2^53 ----

/** 2^53 + 1: the smallest positive integer a JavaScript number cannot hold (it reads back as 2^53). */
export const HUGE_LITERAL = "9007199254740993";
/** Stands in for the huge integer until the body is serialized; control characters never occur in answers. */
const HUGE_MARK = "\u0000cfsim-huge\u0000";
const HUGE_MARK_JSON = JSON.stringify(HUGE_MARK);

/**
 * Marks one integer of a projected rollup row to become HUGE_LITERAL: `sum.bytes` under whatever alias the query gave
 * it, else the first integer found depth first. `sumKeys`/`bytesKeys` are the response keys of `sum` and of its
 * `bytes`. Returns whether an integer was found.
 */
export function markHuge(row: Record<string, unknown>, sumKeys: readonly string[], bytesKeys: readonly string[]): boolean {
  for (const s of sumKeys) {
    const sum = row[s] as Record<string, unknown> | null | undefined;
    for (const b of bytesKeys) {
      if (sum && Number.isInteger(sum[b])) {
        sum[b] = HUGE_MARK;
        return true;
      }
    }
  }
  const visit = (value: unknown): boolean => {
    if (value === null || typeof value !== "object") return false;
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) {
      if (Number.isInteger(record[k])) {
        record[k] = HUGE_MARK;
        return true;
      }
      if (visit(record[k])) return true;
    }
    return false;
  };
  return visit(row);
}

/** The serialized answer with every mark replaced by the bare integer literal. */
export function spliceHuge(body: string): string {
  return body.includes(HUGE_MARK_JSON) ? body.split(HUGE_MARK_JSON).join(HUGE_LITERAL) : body;
}
