/**
 * `npm run bench` (fourth part): the sinks' `_source` serialization, the old way and the new side by side in one
 * process: `JSON.stringify(toSource(fields))` against `sourceJson(fields)`, over about a million http_requests
 * documents (a pool flattened from the simulator's answers, written over and over). Prints ns per document, bytes
 * allocated per document, and the collections and their time (v8.GCProfiler); asserts nothing (the unit tests check
 * that both give the same bytes). BENCH_SERIALIZE_DOCUMENTS changes the count.
 */
import { execFileSync } from "node:child_process";
import { GCProfiler, getHeapStatistics } from "node:v8";
import type { ExportDocument } from "../src/datasets/document.js";
import { toSource } from "../src/datasets/document.js";
import { httpRequests } from "../src/datasets/http-requests.js";
import { queryVariables } from "../src/datasets/query.js";
import { sourceJson } from "../src/sinks/source-json.js";
import { HOUR } from "../src/time.js";

const DOCUMENTS = Number(process.env.BENCH_SERIALIZE_DOCUMENTS ?? 1_000_000);
const now = Date.parse("2026-11-20T12:00:00Z");
const zone = { scope: "zone" as const, id: "5e000000000000000000000000000001", name: "serialize.example" };
const window = { from: now - 3 * HOUR, to: now - HOUR };

/** The simulator's answer for two hours of one zone (`--answer`: this file run as the child that prints it). */
async function answer(): Promise<string> {
  const { startSimulator } = await import("../simulator/index.js");
  const sim = await startSimulator({ now: () => now });
  try {
    const response = await fetch(sim.url, {
      method: "POST",
      headers: { authorization: "Bearer bench", "content-type": "application/json" },
      body: JSON.stringify({ query: httpRequests.query(new Set()), variables: queryVariables("zone", [zone], window, "Time", 10_000) }),
    });
    return await response.text();
  } finally {
    await sim.close();
  }
}

if (process.argv[2] === "--answer") process.stdout.write(await answer());
else measure();

function measure(): void {
  // The answer comes from a child process: the simulator's own data would take most of a 72 MB heap, which would
  // leave the young generation little room and make the scavenge counts meaningless.
  const text = execFileSync(process.execPath, [import.meta.filename, "--answer"], { maxBuffer: 1 << 28, encoding: "utf8" });
  const body = JSON.parse(text) as { data: { viewer: { zones: unknown[] } } };
  const flat = httpRequests.flatten(httpRequests.rowsOf(body.data.viewer.zones[0]), zone, window, { topN: 100 });
  // Some five thousand documents of every breakdown, held while they are serialized.
  const docs = [...flat.entries, ...flat.totals];
  const ways: Record<string, (fields: ExportDocument["fields"]) => string> = {
    "JSON.stringify(toSource(fields))": (fields) => JSON.stringify(toSource(fields)),
    "sourceJson(fields)": sourceJson,
  };
  /** Serializes `count` documents of the pool; the lengths are summed so that no call can be optimized away. */
  const run = (serialize: (fields: ExportDocument["fields"]) => string, count: number): number => {
    let chars = 0;
    for (let i = 0; i < count; i++) chars += serialize(docs[i % docs.length]!.fields).length;
    return chars;
  };
  for (const serialize of Object.values(ways)) run(serialize, 200_000); // optimized before anything is measured

  console.log(`_source serialization: ${DOCUMENTS} http_requests documents (a pool of ${docs.length}), ${process.version}, ${process.execArgv.join(" ")}`);
  console.log("way                               ns/document  bytes allocated/document  scavenges (ms)  mark-compacts (ms)");
  // Twice each, alternating, so that a neighbour's load on a shared machine shows as two differing rounds.
  for (const round of [1, 2]) {
    for (const [name, serialize] of Object.entries(ways)) {
      const profiler = new GCProfiler();
      const used = (): number => getHeapStatistics().used_heap_size;
      const start = used();
      profiler.start();
      const started = process.hrtime.bigint();
      run(serialize, DOCUMENTS);
      const ns = Number(process.hrtime.bigint() - started) / DOCUMENTS;
      const gcs = profiler.stop()?.statistics ?? [];
      // Allocated: what the heap grew by between collections (each collection's "before" less the last "after").
      let allocated = 0;
      let last = start;
      for (const gc of gcs) {
        allocated += gc.beforeGC.heapStatistics.usedHeapSize - last;
        last = gc.afterGC.heapStatistics.usedHeapSize;
      }
      allocated += used() - last;
      const count = (scavenge: boolean): string => {
        const of = gcs.filter((gc) => (gc.gcType === "Scavenge") === scavenge);
        return `${of.length} (${(of.reduce((sum, gc) => sum + gc.cost, 0) / 1000).toFixed(0)})`;
      };
      const columns = [ns.toFixed(0).padStart(11), (allocated / DOCUMENTS).toFixed(0).padStart(26), count(true).padStart(15), count(false).padStart(20)];
      console.log(`${name.padEnd(34)}${columns.join("")}   round ${round}`);
    }
  }
}
