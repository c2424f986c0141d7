/** A local HTTP server answering a script of canned responses: faking a peer at the wire, nothing else. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Scripted {
  status?: number;
  body: string | object;
  delayMs?: number;
}

export interface ScriptedServer {
  readonly url: string;
  /** Requests received: method, path with query, headers, body. */
  readonly received: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[];
  /** Answers in order; the last one repeats. Assigning a new script starts it from its first answer. */
  script: Scripted[];
  close(): Promise<void>;
}

export async function startScriptedServer(path = "/"): Promise<ScriptedServer> {
  let script: Scripted[] = [{ body: "" }];
  let next = 0;
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
    close: async () => {},
  } as ScriptedServer;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      state.received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const answer = script[Math.min(next++, script.length - 1)]!;
      setTimeout(() => {
        res.writeHead(answer.status ?? 200, { "content-type": typeof answer.body === "string" ? "text/plain" : "application/json" });
        res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never the reason a test process stays alive (e.g. when a name filter skips the test that would close it).
  server.unref();
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
