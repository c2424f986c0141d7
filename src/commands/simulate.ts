/** `simulate --port N`: serve the built-in Cloudflare simulator until interrupted, for trying the tool. */
import { demoZones } from "../config/index.js";
import { EXIT } from "../errors.js";
import type { Io } from "./context.js";
import { DEMO_ACCOUNT, DEMO_TUNNELS } from "./export.js";

export async function simulateCommand(port: number, io: Io): Promise<number> {
  // Loaded only here and for the demo: a run has no use for the simulator's heap.
  const { startSimulator } = await import("../../simulator/index.js");
  // The demo's zones and account are listed by its REST endpoints too, so discovery can be tried against it.
  const simulator = await startSimulator({
    port,
    accounts: [DEMO_ACCOUNT],
    zones: demoZones.map((z) => ({ ...z, account: DEMO_ACCOUNT })),
    tunnels: DEMO_TUNNELS,
  });
  io.stdout.write(
    [
      `Cloudflare GraphQL simulator listening on ${simulator.url}`,
      "Point the exporter at it, with any token and any zone ids:",
      `  CF_API_URL=${simulator.url} CF_API_TOKEN=anything CF_ZONES=zone0000000000000000000000000001=example.com \\`,
      "  ES_URL=http://localhost:9200 cloudflare-es-exporter run",
      `Or leave CF_ZONES unset: the exporter then discovers the ${demoZones.length} zones and the account the simulator lists at ${simulator.restUrl}.`,
      "Stop with Ctrl-C.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await simulator.close();
  return EXIT.ok;
}
