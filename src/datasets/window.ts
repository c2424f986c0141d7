/**
 * A window's documents from its rows as they are read back in time order (see cloudflare/spill.ts). Each unit (a
 * minute, an hour, a day) is flattened on its own, with the dataset's own pure `flatten`, so memory holds one unit's
 * rows, never the window's. Two passes over the rows: the first checks every unit and keeps its total (one small
 * document per unit), so a malformed answer fails the window before anything is written; the second yields the
 * entries, which the sink writes before the totals.
 */
import type { Dataset, FlattenOptions, Owner, Window } from "./dataset.js";
import type { ExportDocument } from "./document.js";
import { MalformedResponseError } from "./shape.js";

export interface StreamedWindow {
  /** Produced anew on each iteration, unit by unit. */
  readonly entries: AsyncIterable<ExportDocument>;
  /** One per unit of the window, zeros where Cloudflare had no row; written last. */
  readonly totals: readonly ExportDocument[];
}

/** The rows of each unit of `window`, in order, including units without rows; rows must come in time order. */
async function* units(dataset: Dataset, rows: AsyncIterable<unknown>, window: Window): AsyncGenerator<{ window: Window; rows: unknown[] }> {
  let start = window.from;
  let current: unknown[] = [];
  for await (const row of rows) {
    const unit = dataset.rowUnit(row);
    if (unit < start || unit >= window.to) {
      const why = unit < window.from || unit >= window.to ? "outside the window asked for" : "out of time order";
      throw new MalformedResponseError(`${dataset.node}: a row for ${new Date(unit).toISOString()} is ${why}`);
    }
    while (unit > start) {
      yield { window: { from: start, to: start + dataset.unit }, rows: current };
      current = [];
      start += dataset.unit;
    }
    current.push(row);
  }
  for (; start < window.to; start += dataset.unit) {
    yield { window: { from: start, to: start + dataset.unit }, rows: current };
    current = [];
  }
}

export async function flattenWindow(
  dataset: Dataset,
  rows: () => AsyncIterable<unknown>,
  owner: Owner,
  window: Window,
  options: FlattenOptions,
): Promise<StreamedWindow> {
  const totals: ExportDocument[] = [];
  for await (const unit of units(dataset, rows(), window)) totals.push(...dataset.flatten(unit.rows, owner, unit.window, options).totals);
  return {
    totals,
    entries: {
      async *[Symbol.asyncIterator]() {
        for await (const unit of units(dataset, rows(), window)) yield* dataset.flatten(unit.rows, owner, unit.window, options).entries;
      },
    },
  };
}
