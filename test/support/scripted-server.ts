/** A local HTTP(S) server answering a script of canned responses: faking a peer at the wire, nothing else. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

interface Scripted {
  status?: number;
  body: string | object;
  delayMs?: number;
  /** Extra response headers (e.g. `location` for a redirect). */
  headers?: Record<string, string>;
  /**
   * Instead of `body`: `chunk` written `times` times, `intervalMs` apart, then `last` (a body too large to be read
   * whole). Writing stops as soon as the client goes away.
   */
  stream?: { chunk: string; times: number; intervalMs?: number; last?: string };
}

export interface ScriptedServer {
  readonly url: string;
  /** Requests received: method, path with query, headers, body. */
  readonly received: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[];
  /** Answers in order; the last one repeats. Assigning a new script starts it from its first answer. */
  script: Scripted[];
  /** Response body bytes handed to the socket so far, over all answers. */
  readonly bytesSent: number;
  close(): Promise<void>;
}

function drainedOrGone(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export async function startScriptedServer(path = "/", options: { tls?: { cert: Buffer; key: Buffer } } = {}): Promise<ScriptedServer> {
  let script: Scripted[] = [{ body: "" }];
  let next = 0;
  let bytesSent = 0;
  const state = {
    url: "",
    received: [],
    get script() {
      return script;
    },
    set script(value: Scripted[]) {
      script = value;
      next = 0;
    },
    get bytesSent() {
      return bytesSent;
    },
    close: async () => {},
  } as unknown as ScriptedServer;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      state.received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const answer = script[Math.min(next++, script.length - 1)]!;
      setTimeout(() => {
        const type = typeof answer.body === "string" || answer.stream ? "text/plain" : "application/json";
        res.writeHead(answer.status ?? 200, { "content-type": type, ...answer.headers });
        if (answer.stream) {
          void stream(res, answer.stream);
          return;
        }
        const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
        bytesSent += Buffer.byteLength(text);
        res.end(text);
      }, answer.delayMs ?? 0);
    });
  };
  async function stream(res: ServerResponse, plan: NonNullable<Scripted["stream"]>): Promise<void> {
    let gone = false;
    res.on("close", () => (gone = true));
    for (let i = 0; i < plan.times && !gone; i++) {
      bytesSent += Buffer.byteLength(plan.chunk);
      // Respect back-pressure: a client that stops reading stops the server too.
      if (!res.write(plan.chunk)) await drainedOrGone(res);
      if (plan.intervalMs) await new Promise((resolve) => setTimeout(resolve, plan.intervalMs));
    }
    if (!gone) res.end(plan.last ?? "");
  }
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never the reason a test process stays alive (e.g. when a name filter skips the test that would close it).
  server.unref();
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
