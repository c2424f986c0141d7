/** `bootstrap`: create or update lifecycle policy, templates and mappings, then exit (the Helm pre-install hook). */
import { datasetsOf } from "../datasets/index.js";
import { selectDatasets, selectSnapshots } from "../matrix.js";
import { EXIT } from "../errors.js";
import { closeContext, createContext, createSink, type Io } from "./context.js";

export async function bootstrapCommand(flags: Record<string, unknown>, rawIo: Io): Promise<number> {
  const ctx = createContext(flags, rawIo, { requireCloudflareAuth: false });
  try {
    const sink = createSink(ctx);
    const chosen = [...selectDatasets(datasetsOf(ctx.config), ctx.config.datasets), ...selectSnapshots(ctx.config.datasets)];
    for (const note of await sink.ensure(chosen)) ctx.log.info(note);
    ctx.log.info(`bootstrap completed: ${sink.description} is ready for ${chosen.map((d) => d.name).join(", ")}`);
    return EXIT.ok;
  } finally {
    await closeContext(ctx);
  }
}
