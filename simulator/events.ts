/**
 * The synthetic events behind the adaptive (sampled) nodes: for a (scope tag, node, minute) a seeded number of
 * sampled events, each with a sample interval and a second within the minute. No event is stored: every dimension
 * and metric of an event is a pure function of its seed and the field's name, computed only when a query reads it, so
 * a query that selects two fields costs two field computations per event and the answer is the same in any process.
 *
 * Fields that belong together (a rule id and its description, a cache status and the origin's response time) are
 * derived from each other inside the generators (specs.ts), so every field of an event stays coherent however few of
 * them a query reads.
 */

import type { DimValue } from "./filters.js";

const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;

// ---- Hashing ----

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a of a string, mixed. */
export function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

/** A seeded PRNG (mulberry32) for profiles and minutes, where a closure per call is affordable. */
export function seeded(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const salts = new Map<string, number>();
/** A field's salt: which independent random stream of an event the field draws from. */
function saltOf(field: string): number {
  let s = salts.get(field);
  if (s === undefined) {
    s = hashOf(`field:${field}`);
    salts.set(field, s);
  }
  return s;
}

// ---- Node specifications (the data live in specs.ts) ----

/** How a generator reads its event: its own random draws, other fields, the profile of its zone or account. */
export type DimGen<P> = (e: Ev<P>) => DimValue;
export type MetricGen<P> = (e: Ev<P>) => number;

interface MinutePlan {
  /** Sampled events in the minute once it is final. */
  n: number;
  /** The minute's sample interval (ABR picks one table per minute here): 1, 10 or 100. */
  si: number;
  /** Optional per-event structure (e.g. which health check and region), read by generators as `e.slot`. */
  slots?: readonly number[];
}

export interface NodeSpec<P> {
  /** Events and profiles are seeded by stream: nodes sharing one (the two HTTP adaptive nodes) see the same events. */
  readonly stream: string;
  /** The zone's or account's lasting traits (hosts, rules, scripts, buckets, ...), built once per tag. */
  profile(tag: string, random: () => number): P;
  /** The minute's event count and sample interval. */
  minute(profile: P, minuteMs: number, random: () => number): MinutePlan;
  /** A gauge (R2 storage): one event per slot at the minute's start, all visible as soon as the minute has ended. */
  readonly gauge?: boolean;
  readonly dims: Readonly<Record<string, DimGen<P>>>;
  readonly metrics: Readonly<Record<string, MetricGen<P>>>;
  /** A dimension without a generator, given its type's empty value ("", 0, []). @default that empty value */
  readonly otherDim?: (e: Ev<P>, name: string, empty: DimValue) => DimValue;
  /** A metric without a generator or numeric dimension of its name. @default 0 */
  readonly otherMetric?: (e: Ev<P>, name: string) => number;
}

// ---- Events ----

/**
 * One event, reused: the scanner moves it from event to event (no allocation per event). Generators read `u(k)`
 * (uniform draws of the field being computed), `dim(name)` / `metric(name)` (other fields of the same event) and the
 * event's identity (`time`, `si`, `index`, `slot`, `profile`).
 */
export class Ev<P> {
  tag = "";
  profile!: P;
  minute = 0;
  time = 0;
  si = 1;
  index = 0;
  slot = 0;
  seed = 0;
  private salt = 0;

  constructor(
    readonly spec: NodeSpec<P>,
    /** Values of dimensions without a generator, by their GraphQL type ("" / 0 / []). */
    private readonly fallbacks: ReadonlyMap<string, DimValue>,
  ) {}

  /** Uniform draw in [0, 1) number k of the field being computed. */
  u(k = 0): number {
    return mix32(this.seed ^ this.salt ^ Math.imul(k + 1, 0x9e3779b1)) / 4_294_967_296;
  }

  dim(name: string): DimValue {
    const gen = this.spec.dims[name];
    const other = this.spec.otherDim;
    if (!gen && !other) return this.fallbacks.get(name) ?? "";
    const saved = this.salt;
    this.salt = saltOf(name);
    const value = gen ? gen(this) : other!(this, name, this.fallbacks.get(name) ?? "");
    this.salt = saved;
    return value;
  }

  /** A numeric value: the node's metric of that name, else a numeric dimension of that name, else 0. */
  metric(name: string): number {
    const gen = this.spec.metrics[name];
    if (!gen && (this.spec.dims[name] || this.fallbacks.has(name))) {
      const v = this.dim(name);
      if (typeof v === "number") return v;
    }
    if (!gen && !this.spec.otherMetric) return 0;
    const saved = this.salt;
    this.salt = saltOf(`metric:${name}`);
    const value = gen ? gen(this) : this.spec.otherMetric!(this, name);
    this.salt = saved;
    return value;
  }
}

// ---- Minutes ----

const profiles = new Map<string, unknown>();

export function profileOf<P>(spec: NodeSpec<P>, tag: string): P {
  const key = `${spec.stream}\u0000${tag}`;
  let p = profiles.get(key) as P | undefined;
  if (p === undefined) {
    p = spec.profile(tag, seeded(hashOf(key)));
    if (profiles.size >= 10_000) profiles.clear(); // a long-running `simulate` must not grow without bound
    profiles.set(key, p);
  }
  return p;
}

export interface MinuteEvents extends MinutePlan {
  seed: number;
  /** How many of the `n` events are visible (late data: a young minute shows its first events only). */
  visible: number;
}

/**
 * The minute's events as seen with `growth` (see traffic.ts growthFactor): a young minute shows the first
 * floor(n x growth) of its final events, so it only ever grows; a gauge shows all of them once the minute has ended.
 */
export function minuteEvents<P>(spec: NodeSpec<P>, tag: string, profile: P, minuteMs: number, growth: number): MinuteEvents {
  const seed = mix32(hashOf(`${spec.stream}\u0000${tag}`) ^ mix32(Math.floor(minuteMs / MINUTE_MS) | 0));
  const plan = spec.minute(profile, minuteMs, seeded(seed));
  const visible = growth <= 0 ? 0 : growth >= 1 || spec.gauge ? plan.n : Math.floor(plan.n * growth);
  return { ...plan, seed, visible };
}

const TIME_SALT = hashOf("event:time");

/** Moves `e` to event `i` of a minute. */
export function placeEvent<P>(e: Ev<P>, m: MinuteEvents, minuteMs: number, i: number): void {
  e.minute = minuteMs;
  e.index = i;
  e.si = m.si;
  e.slot = m.slots ? m.slots[i]! : i;
  e.seed = mix32(m.seed + Math.imul(i + 1, 0x9e3779b1));
  e.time = e.spec.gauge ? minuteMs : minuteMs + Math.floor((mix32(e.seed ^ TIME_SALT) / 4_294_967_296) * 60) * SECOND_MS;
}
