/** `bootstrap`: create or update lifecycle policy, templates and mappings, then exit (the Helm pre-install hook). */
import { zoneDatasets } from "../datasets/index.js";
import { EXIT } from "../errors.js";
import { closeContext, createContext, createSink, type Io } from "./context.js";

export async function bootstrapCommand(flags: Record<string, unknown>, io: Io): Promise<number> {
  const ctx = createContext(flags, io, { requireCloudflareAuth: false });
  try {
    const sink = createSink(ctx);
    for (const note of await sink.ensure(zoneDatasets)) ctx.log.info(note);
    ctx.log.info(`bootstrap completed: ${sink.description} is ready for ${zoneDatasets.map((d) => d.name).join(", ")}`);
    return EXIT.ok;
  } finally {
    await closeContext(ctx);
  }
}
