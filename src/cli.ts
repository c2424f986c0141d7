#!/usr/bin/env node
/** The executable: the only place that ends the process. */
import { main } from "./main.js";

// A run told to stop finishes its window and leaves its record within seconds (commands/export.ts); should a write
// hang, the process still ends well inside Kubernetes' grace period, with a failure code.
const STOP_GRACE_MS = 9_000;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    setTimeout(() => {
      process.stderr.write(
        `${JSON.stringify({ level: "error", message: `stopped by ${signal}: the run did not finish within ${STOP_GRACE_MS / 1000}s`, service: "exporter" })}\n`,
      );
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  });
}

const code = await main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
process.exitCode = code;
// Let pending log lines flush, but never hang on a forgotten socket.
setTimeout(() => process.exit(code), 2_000).unref();
