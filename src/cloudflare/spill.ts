/**
 * Cloudflare's answer, parsed as it streams. The rows of the dataset's node (viewer.zones[i].<node>[j], or
 * viewer.accounts[i]...) go, one JSON line each, into a file per owner; what is left of the answer (owner tags, empty
 * node lists, `errors`) is small and handed to @octokit/graphql as the body, so its error handling applies unchanged.
 * Memory holds one chunk of the body at a time, never a window: a busy zone's 3-day window is tens of MB of JSON and
 * several times that once parsed. The rows are read back line by line (`readRows`) when the window is flattened.
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { JSONParser } from "@streamparser/json";
import { MalformedResponseError } from "../datasets/shape.js";

/** Where the rows of one owner's answer went. */
export interface SpilledRows {
  readonly file: string;
  readonly count: number;
}

/** The key under which an owner object of the reduced answer names its spilled rows. */
export const SPILLED = "__spilled";

/**
 * Streams `body` (a GraphQL answer) into `dir`: the rows of `node` into `<dir>/owner-<i>.ndjson`, the rest returned
 * as JSON text, each owner object carrying `{ "__spilled": { file, count } }`. Throws `MalformedResponseError` when the
 * body ends before the JSON does (a cut answer).
 */
export async function spillAnswer(body: AsyncIterable<Uint8Array>, node: string, dir: string): Promise<string> {
  const parser = new JSONParser({ paths: ["$", "$.data.viewer.*.*.*.*"], keepStack: false });
  const files = new Map<number, { stream: WriteStream; file: string; count: number }>();
  let pending: [owner: number, line: string][] = [];
  let root: unknown;
  let failure: Error | undefined;
  parser.onValue = ({ value, parent, stack }) => {
    if (stack.length === 0) {
      root = value;
      return;
    }
    // Depth 6 under data.viewer.<zones|accounts>[i].<node>: one row. Taken out of the answer as soon as it is whole.
    if (stack.length === 6 && stack[5]?.key === node && Array.isArray(parent)) {
      pending.push([Number(stack[4]?.key), JSON.stringify(value)]);
      parent.pop();
    }
  };
  parser.onError = (error) => {
    failure = error;
  };
  try {
    for await (const chunk of body) {
      parser.write(chunk);
      if (failure) break;
      for (const [owner, line] of pending) {
        let out = files.get(owner);
        if (!out) {
          const file = join(dir, `owner-${owner}.ndjson`);
          out = { stream: createWriteStream(file), file, count: 0 };
          files.set(owner, out);
        }
        out.count++;
        if (!out.stream.write(`${line}\n`)) await once(out.stream, "drain");
      }
      pending = [];
    }
    if (!failure && !parser.isEnded) parser.end();
  } finally {
    await Promise.all(
      [...files.values()].map(
        ({ stream }) => new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve()))),
      ),
    );
  }
  if (failure || root === undefined) throw new MalformedResponseError(`the answer is not complete JSON (${failure?.message ?? "it ended early"})`);
  const owners = (root as { data?: { viewer?: Record<string, unknown> } }).data?.viewer ?? {};
  for (const list of Object.values(owners)) {
    if (!Array.isArray(list)) continue;
    list.forEach((owner: unknown, i) => {
      const spilled = files.get(i);
      if (owner && typeof owner === "object" && spilled) (owner as Record<string, unknown>)[SPILLED] = { file: spilled.file, count: spilled.count };
    });
  }
  return JSON.stringify(root);
}

/** The rows of one owner, read back one line at a time. */
export async function* readRows(spilled: SpilledRows): AsyncGenerator<unknown> {
  const lines = createInterface({ input: createReadStream(spilled.file, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line !== "") yield JSON.parse(line) as unknown;
}
