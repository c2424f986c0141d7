/** The explicit list of datasets the exporter knows. Adding one: its module, its fixtures, one line here. */
import type { ZoneDataset } from "./dataset.js";
import { httpRequests } from "./http-requests.js";

export const zoneDatasets: readonly ZoneDataset[] = [httpRequests];

export type { BreakdownCheck, Flattened, Window, ZoneDataset } from "./dataset.js";
export type { ExportDocument } from "./document.js";
