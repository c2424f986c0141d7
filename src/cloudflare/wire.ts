/**
 * The HTTP layer under @octokit/graphql: undici's fetch with the configured CA (a TLS-inspecting proxy) and a cap on
 * the response body. The body is counted while it streams and refused past the cap, so a hostile or runaway answer
 * never sits in memory whole; the error says which setting bounds it.
 */
import { readFileSync } from "node:fs";
import { Agent, fetch as undiciFetch } from "undici";

/** An answer larger than `CF_MAX_RESPONSE_BYTES`; a smaller window asks for less. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes (CF_MAX_RESPONSE_BYTES)`);
  }
}

export type Fetch = typeof globalThis.fetch;

export function boundedFetch(options: { caFile?: string | undefined; maxBytes: number }): Fetch {
  // Extra CAs are added to Node's own roots, not put in their place: verification stays on for everything else.
  const dispatcher = options.caFile ? new Agent({ connect: { ca: [readFileSync(options.caFile, "utf8")] } }) : undefined;
  return async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    const response = await undiciFetch(input as never, { ...(init as object), ...(dispatcher ? { dispatcher } : {}) });
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw new ResponseTooLargeError(options.maxBytes);
    }
    // Read here, with the count, and hand octokit a body that is already complete and known to be small enough.
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        // Leaving the loop cancels the stream: the rest is never downloaded.
        if (size > options.maxBytes) throw new ResponseTooLargeError(options.maxBytes);
        chunks.push(chunk);
      }
    }
    const body = [204, 205, 304].includes(response.status) ? null : Buffer.concat(chunks);
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers as never });
  };
}
