#!/usr/bin/env node
/** The executable: the only place that ends the process. */
import { main } from "./main.js";

const code = await main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
process.exitCode = code;
// Let pending log lines flush, but never hang on a forgotten socket.
setTimeout(() => process.exit(code), 2_000).unref();
