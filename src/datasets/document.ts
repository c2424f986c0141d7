import { createHash } from "node:crypto";

/** The unit every sink writes: one flat Cloudflare figure set for one zone, minute and breakdown entry. */

/** A keyword field may hold several values (a tunnel's data centres): Elasticsearch indexes each. */
export type FieldValue = string | number | boolean | readonly string[];

export interface ExportDocument {
  /** Deterministic: the same minute, zone, breakdown and key always give the same id, so rewrites replace. */
  readonly id: string;
  /** Dataset name as used in index names and `cloudflare.dataset`. */
  readonly dataset: string;
  /** Minute start, epoch milliseconds; decides the target index. */
  readonly timestamp: number;
  /** Dotted field name -> value, e.g. `{"cloudflare.requests": 12}`; see `toSource` for the nested form. */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/** Each dotted field name split once: a run writes millions of documents over a few hundred distinct names. */
const splitPaths = new Map<string, readonly string[]>();

function pathOf(name: string): readonly string[] {
  let parts = splitPaths.get(name);
  if (parts === undefined) splitPaths.set(name, (parts = name.split(".")));
  return parts;
}

/** Nested `_source` object from dotted fields: `{"a.b": 1}` -> `{a: {b: 1}}`. */
export function toSource(fields: Readonly<Record<string, FieldValue>>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const name in fields) {
    const parts = pathOf(name);
    let node = root;
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) node = (node[parts[i]!] ??= {}) as Record<string, unknown>;
    node[parts[last]!] = fields[name]!;
  }
  return root;
}

/** Dotted leaf paths of a nested object: the inverse view used to check documents against declarations. */
export function leafPaths(source: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(source).flatMap(([key, value]) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? leafPaths(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

/** Elasticsearch caps `_id` at 512 bytes; ids stay readable unless a key is absurdly long. */
export function documentId(parts: readonly string[]): string {
  const id = parts.join("|");
  return Buffer.byteLength(id) <= 512 ? id : `sha256:${createHash("sha256").update(id).digest("hex")}`;
}
