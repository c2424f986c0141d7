/**
 * A fake peer at the wire: a reverse proxy in front of the simulator or Elasticsearch that lets a request through only
 * when it carries the expected credential headers (else 401, as the real services answer), optionally over HTTPS
 * with the test CA's certificate. It proves that credentials and the CA certificate reached the process as intended.
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import { fixturesDir } from "./paths.js";

export interface AuthFront {
  /** The front's base URL: the target's path is appended by the caller, e.g. `${front.url}/client/v4/graphql`. */
  readonly url: string;
  readonly passed: number;
  readonly refused: number;
  close(): Promise<void>;
}

export const tlsFixtures = {
  ca: readFileSync(join(fixturesDir, "tls", "ca.crt")),
  cert: readFileSync(join(fixturesDir, "tls", "server.crt")),
  key: readFileSync(join(fixturesDir, "tls", "server.key")),
};

export async function startAuthFront(target: string, required: Readonly<Record<string, string>>, options: { tls?: boolean } = {}): Promise<AuthFront> {
  const upstream = new URL(target);
  const counts = { passed: 0, refused: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const ok = Object.entries(required).every(([name, value]) => req.headers[name.toLowerCase()] === value);
    if (!ok) {
      counts.refused++;
      req.resume();
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"credentials missing or wrong"}');
      return;
    }
    counts.passed++;
    const headers = { ...req.headers, host: upstream.host };
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", (error) => res.writeHead(502).end(error.message));
    req.pipe(forward);
  };
  const server: Server = options.tls ? createHttpsServer({ cert: tlsFixtures.cert, key: tlsFixtures.key }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    get passed() {
      return counts.passed;
    },
    get refused() {
      return counts.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
