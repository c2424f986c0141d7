/**
 * The NDJSON sink: the same documents as Elasticsearch `_bulk` bodies, one file per dataset, zone and window, for the
 * demo (nothing to install) and air-gapped exports (`curl -H 'Content-Type: application/x-ndjson' --data-binary
 * @file <es>/_bulk`). Files are written to a temporary name and renamed, so a killed run never leaves a partial file
 * that would claim minutes as stored. What is stored is read back from the file names. Every document passes the
 * redaction point before it is written; file system failures become `SinkError`s of the `output` service.
 */
import { createWriteStream } from "node:fs";
import { appendFile, mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import type { ElasticsearchConfig } from "../config/types.js";
import type { Redactor } from "../redact.js";
import type { Dataset, Owner, Window } from "../datasets/dataset.js";
import { toSource, type ExportDocument } from "../datasets/document.js";
import { mergeFields } from "../datasets/fields.js";
import { holes, mergeRanges } from "../plan.js";
import { indexNamer, indexPattern } from "./index-names.js";
import { mappingProperties } from "./mapping.js";
import { sourceJson } from "./source-json.js";
import { SinkError, type Coverage, type Indexed, type Sink, type WriteBatch, type WriteOutcome } from "./sink.js";

const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, "") + "Z";
const unstamp = (text: string): number => Date.parse(text.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:00Z"));
const FILE = /^(\d{8}T\d{4}Z)_(\d{8}T\d{4}Z)\.ndjson$/;

/** A file system error as a `SinkError` naming the folder, what we were doing, and the fix. */
function outputFailure(error: unknown, doing: string, dir: string): SinkError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const fix =
    code === "ENOSPC" || code === "EDQUOT" ? `free space on the file system of ${dir}` : `make ${dir} (OUTPUT_DIR, --output) a folder this user may write to`;
  const reason = error instanceof Error ? error.message : String(error);
  return new SinkError(`NDJSON output ${dir}: ${doing} failed: ${reason}`, undefined, {
    service: "output",
    kind: code ?? "io",
    retryable: false,
    fix,
    cause: error,
  });
}

export function ndjsonSink(dir: string, es: Pick<ElasticsearchConfig, "indexPrefix" | "indexPeriod">, redactor: Redactor): Sink {
  const ownerDir = (dataset: string, ownerId: string): string => join(dir, dataset, ownerId);
  async function doing<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw outputFailure(error, what, dir);
    }
  }
  const nameOf = indexNamer(es.indexPrefix, es.indexPeriod);
  /**
   * One `_bulk` pair; the source redacted value by value, so no field name is ever touched. Almost no document holds
   * anything that looks like a secret: one search of the serialized line decides whether the value-wise pass is due.
   */
  const bulkPair = (d: ExportDocument): string => {
    const action = JSON.stringify({ index: { _index: nameOf(d.dataset, d.timestamp), _id: d.id } });
    const line = sourceJson(d.fields);
    return `${action}\n${redactor.mayHold(line) ? JSON.stringify(redactor.value(toSource(d.fields))) : line}\n`;
  };

  return {
    description: `NDJSON _bulk files in ${dir}`,

    ensure: (datasets) => doing("writing the index templates", () => writeTemplates(datasets)),
    // NDJSON files serve air-gapped exports and the demo: no run of theirs shares a live budget worth tracking.
    recentQueries: () => Promise.resolve([]),
    // Without a searchable history every run sizes windows from the datasets' own estimates.
    recentDensity: () => Promise.resolve(new Map()),
    coverage: (dataset, owner, range) => doing(`reading which ${dataset.name} units are stored`, () => stored(dataset, owner, range)),
    write: (batch) => doing(`writing ${batch.dataset} of ${batch.ownerId}`, () => writeBatch(batch)),

    /** Run records go to one `runs.ndjson` per folder, one `_bulk` pair per document, appended. */
    record: (documents) =>
      doing("appending the run record", async () => {
        await mkdir(dir, { recursive: true });
        await appendFile(join(dir, "runs.ndjson"), documents.map(bulkPair).join(""));
      }),

    close: async () => {},
  };

  async function writeTemplates(datasets: readonly Indexed[]): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    // The index templates beside the data, so an air-gapped cluster can be prepared with the same mappings.
    for (const dataset of datasets) {
      const template = {
        index_patterns: [indexPattern(es.indexPrefix, dataset.name)],
        template: { mappings: { dynamic: "strict", properties: mappingProperties(mergeFields([dataset.fields])) } },
      };
      await writeFile(join(dir, `index-template-${dataset.name}.json`), JSON.stringify(template, null, 2) + "\n");
    }
    return [];
  }

  async function stored(dataset: Dataset, owner: Owner, range: Window): Promise<Coverage> {
    const unit = dataset.unit;
    let names: string[] = [];
    try {
      names = await readdir(ownerDir(dataset.name, owner.id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const ranges = mergeRanges(
      names.flatMap((name) => {
        const m = FILE.exec(name);
        return m ? [{ from: unstamp(m[1]!), to: unstamp(m[2]!) }] : [];
      }),
    );
    const present: number[] = [];
    let newest: number | undefined;
    for (const r of ranges) {
      for (let start = Math.max(r.from, range.from); start < Math.min(r.to, range.to); start += unit) present.push(start);
      if (r.to > range.from && r.from < range.to) newest = Math.min(r.to, range.to) - unit;
    }
    return { newest, missing: holes(range, present, unit) };
  }

  async function writeBatch(batch: WriteBatch): Promise<WriteOutcome> {
    const folder = ownerDir(batch.dataset, batch.ownerId);
    await mkdir(folder, { recursive: true });
    const file = join(folder, `${stamp(batch.window.from)}_${stamp(batch.window.to)}.ndjson`);
    let written = 0;
    async function* lines(): AsyncGenerator<string> {
      for (const group of [batch.entries, batch.totals]) {
        for await (const d of group) {
          written++;
          yield bulkPair(d);
        }
      }
    }
    await pipeline(Readable.from(lines()), createWriteStream(`${file}.partial`));
    await rename(`${file}.partial`, file);
    return { written, failed: 0, reasons: [], retried: 0 };
  }
}
