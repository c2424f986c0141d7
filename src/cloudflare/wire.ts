/**
 * The HTTP layer under @octokit/graphql: undici's fetch with the configured CA (a TLS-inspecting proxy) and a cap on
 * the response body, counted while it streams and refused past the cap, so a hostile or runaway answer never sits in
 * memory whole. For a dataset query the body is parsed as it streams and its rows spilled to files (spill.ts); octokit
 * then reads only what is left, a few bytes per owner.
 */
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { spillAnswer } from "./spill.js";

/** An answer larger than `CF_MAX_RESPONSE_BYTES`; a smaller window asks for less. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes (CF_MAX_RESPONSE_BYTES)`);
  }
}

export type Fetch = typeof globalThis.fetch;

/** Rows of `node` go to files in a new folder under `dir` (one per attempt: a retried request starts afresh). */
export interface SpillTarget {
  readonly node: string;
  readonly dir: string;
}

export interface WireOptions {
  readonly caFile?: string | undefined;
  readonly maxBytes: number;
}

/** The dispatcher for `caFile`: extra CAs beside Node's own roots, so verification stays on for everything else. */
export function dispatcherFor(caFile: string | undefined): Agent | undefined {
  return caFile ? new Agent({ connect: { ca: [readFileSync(caFile, "utf8")] } }) : undefined;
}

export function boundedFetch(options: WireOptions, dispatcher = dispatcherFor(options.caFile), spill?: SpillTarget): Fetch {
  return async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    const response = await undiciFetch(input as never, { ...(init as object), ...(dispatcher ? { dispatcher } : {}) });
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw new ResponseTooLargeError(options.maxBytes);
    }
    const body = counted(response.body as AsyncIterable<Uint8Array> | null, options.maxBytes);
    let text: Buffer | string | null;
    if ([204, 205, 304].includes(response.status)) text = null;
    else if (spill && response.ok && /json/i.test(response.headers.get("content-type") ?? "")) {
      text = await spillAnswer(body, spill.node, await mkdtemp(join(spill.dir, "answer-")));
    } else {
      const chunks: Uint8Array[] = [];
      for await (const chunk of body) chunks.push(chunk);
      text = Buffer.concat(chunks);
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers as never });
  };
}

/** The body's chunks, refused past `limit` bytes; leaving the loop cancels the stream, so the rest is never read. */
async function* counted(body: AsyncIterable<Uint8Array> | null, limit: number): AsyncGenerator<Uint8Array> {
  if (!body) return;
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw new ResponseTooLargeError(limit);
    yield chunk;
  }
}
