import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, whether this runs from dist/test/... or from the sources. */
export const repoRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
})();

export const fixturesDir = join(repoRoot, "test", "fixtures");

/** Cloudflare's published schema, beside the repository in ../shared (absent in a user's clone). */
export const sharedSchemaPath = join(repoRoot, "..", "shared", "cloudflare", "schema.graphql");
