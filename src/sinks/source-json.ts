/**
 * A document's `_source` as JSON text from its flat fields, byte for byte `JSON.stringify(toSource(fields))`, without
 * building a nested object per document: in a small heap the garbage of those objects was much of what the collector
 * cleared per written document (bench/serialize.ts).
 *
 * Documents of one dataset and breakdown carry the same field names in the same order. For each such sequence the
 * nested object is built once, by `toSource` itself, and kept (a `Plan`): a later document only assigns its values to
 * the leaves of that object, and `JSON.stringify` writes it. Same objects, same key order, same escaping as before,
 * and nothing allocated but the line. (Writing the text from precomputed key prefixes instead, values escaped one by
 * one, allocated half as much again and was no faster: joining thirty parts costs more than V8's serializer.)
 *
 * Plans hang off a trie of names whose nodes remember the child taken last, so a run of same-shaped documents finds
 * its plan by comparing names only: a key made of the names (joined) cost more than the nested object it saved.
 */
import { toSource, type FieldValue } from "../datasets/document.js";

type Fields = Readonly<Record<string, FieldValue>>;

interface Plan {
  /** The nested object, rewritten by each document (serializing is synchronous, so no two share it). */
  readonly source: Record<string, unknown>;
  /** Per field, in the order the fields object yields its names: the object holding its leaf, and the leaf's key. */
  readonly holders: Record<string, unknown>[];
  readonly keys: string[];
}

class Step {
  lastName: string | undefined;
  last: Step | undefined;
  children: Map<string, Step> | undefined;
  /** null: names whose nesting depends on the values (see `planOf`). */
  plan: Plan | null | undefined;

  after(name: string): Step {
    this.children ??= new Map();
    let child = this.children.get(name);
    if (child === undefined) {
      // A bound for a stream of ever new names (no dataset has one): beyond it documents go the old way.
      if (steps >= MAX_STEPS) return UNCACHED;
      this.children.set(name, (child = new Step()));
      steps++;
    }
    this.lastName = name;
    this.last = child;
    return child;
  }
}

const MAX_STEPS = 100_000;
let steps = 0;
const root = new Step();
const UNCACHED = new Step();
UNCACHED.plan = null;
/** One document's values in the order of its names, until its plan is known. */
const values: unknown[] = [];

/** `JSON.stringify(toSource(fields))`, without a nested object of its own. */
export function sourceJson(fields: Fields): string {
  let step = root;
  let n = 0;
  for (const name in fields) {
    values[n++] = fields[name];
    step = step.lastName === name ? step.last! : step === UNCACHED ? UNCACHED : step.after(name);
  }
  let plan = step.plan;
  if (plan === undefined) plan = step.plan = planOf(fields);
  if (plan === null) return JSON.stringify(toSource(fields));
  const { source, holders, keys } = plan;
  for (let i = 0; i < n; i++) holders[i]![keys[i]!] = values[i];
  return JSON.stringify(source);
}

/**
 * The plan for the names of `fields`. Null where one name is the group of another (`a` and `a.b`): `toSource` then
 * nests into the value itself (or throws), which no kept object can repeat, so such documents go the old way.
 */
function planOf(fields: Fields): Plan | null {
  const names: string[] = [];
  for (const name in fields) names.push(name);
  const known = new Set(names);
  const groups = (parts: string[]): string[] => parts.slice(1).map((_, k) => parts.slice(0, k + 1).join("."));
  if (names.some((name) => groups(name.split(".")).some((group) => known.has(group)))) return null;
  const source = toSource(fields);
  const holders: Record<string, unknown>[] = [];
  const keys: string[] = [];
  for (const name of names) {
    const parts = name.split(".");
    let node = source;
    for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
    holders.push(node);
    keys.push(parts.at(-1)!);
  }
  return { source, holders, keys };
}
