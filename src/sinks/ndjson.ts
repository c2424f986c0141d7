/**
 * The NDJSON sink: the same documents as Elasticsearch `_bulk` bodies, one file per dataset, zone and window, for the
 * demo (nothing to install) and air-gapped exports (`curl -H 'Content-Type: application/x-ndjson' --data-binary
 * @file <es>/_bulk`). Files are written to a temporary name and renamed, so a killed run never leaves a partial file
 * that would claim minutes as stored. What is stored is read back from the file names.
 */
import { createWriteStream } from "node:fs";
import { appendFile, mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import type { ElasticsearchConfig } from "../config/types.js";
import type { Dataset, Owner, Window } from "../datasets/dataset.js";
import { toSource, type ExportDocument } from "../datasets/document.js";
import { mergeFields } from "../datasets/fields.js";
import { holes, mergeRanges } from "../plan.js";
import { indexNamer, indexPattern } from "./index-names.js";
import { mappingProperties } from "./mapping.js";
import type { Coverage, Sink, WriteBatch, WriteOutcome } from "./sink.js";

const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, "") + "Z";
const unstamp = (text: string): number => Date.parse(text.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:00Z"));
const FILE = /^(\d{8}T\d{4}Z)_(\d{8}T\d{4}Z)\.ndjson$/;

export function ndjsonSink(dir: string, es: Pick<ElasticsearchConfig, "indexPrefix" | "indexPeriod">): Sink {
  const ownerDir = (dataset: string, ownerId: string): string => join(dir, dataset, ownerId);
  return {
    description: `NDJSON _bulk files in ${dir}`,

    async ensure(datasets: readonly Dataset[]): Promise<string[]> {
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
    },

    async coverage(dataset: Dataset, owner: Owner, range: Window): Promise<Coverage> {
      const unit = dataset.unit;
      let names: string[] = [];
      try {
        names = await readdir(ownerDir(dataset.name, owner.id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      const stored = mergeRanges(
        names.flatMap((name) => {
          const m = FILE.exec(name);
          return m ? [{ from: unstamp(m[1]!), to: unstamp(m[2]!) }] : [];
        }),
      );
      const present: number[] = [];
      let newest: number | undefined;
      for (const r of stored) {
        for (let start = Math.max(r.from, range.from); start < Math.min(r.to, range.to); start += unit) present.push(start);
        if (r.to > range.from && r.from < range.to) newest = Math.min(r.to, range.to) - unit;
      }
      return { newest, missing: holes(range, present, unit) };
    },

    async write(batch: WriteBatch): Promise<WriteOutcome> {
      const folder = ownerDir(batch.dataset, batch.ownerId);
      await mkdir(folder, { recursive: true });
      const file = join(folder, `${stamp(batch.window.from)}_${stamp(batch.window.to)}.ndjson`);
      let written = 0;
      const nameOf = indexNamer(es.indexPrefix, es.indexPeriod);
      function* lines(): Generator<string> {
        for (const group of [batch.entries, batch.totals]) {
          for (const d of group) {
            written++;
            const action = { index: { _index: nameOf(d.dataset, d.timestamp), _id: d.id } };
            yield `${JSON.stringify(action)}\n${JSON.stringify(toSource(d.fields))}\n`;
          }
        }
      }
      await pipeline(Readable.from(lines()), createWriteStream(`${file}.partial`));
      await rename(`${file}.partial`, file);
      return { written, failed: 0, reasons: [], retried: 0 };
    },

    /** Run records go to one `runs.ndjson` per folder, one `_bulk` pair per document, appended. */
    async record(documents: readonly ExportDocument[]): Promise<void> {
      await mkdir(dir, { recursive: true });
      const nameOf = indexNamer(es.indexPrefix, es.indexPeriod);
      const body = documents
        .map((d) => `${JSON.stringify({ index: { _index: nameOf(d.dataset, d.timestamp), _id: d.id } })}\n${JSON.stringify(toSource(d.fields))}\n`)
        .join("");
      await appendFile(join(dir, "runs.ndjson"), body);
    },

    close: async () => {},
  };
}
