/** The Elasticsearch mapping, generated from the datasets' field declarations; never written by hand. */
import type { FieldDecl } from "../datasets/fields.js";

export interface MappingProperty {
  type?: string;
  properties?: Record<string, MappingProperty>;
}

export function mappingProperties(fields: readonly FieldDecl[]): Record<string, MappingProperty> {
  const root: Record<string, MappingProperty> = {};
  for (const field of fields) {
    const parts = field.name.split(".");
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const node = (level[part] ??= { properties: {} });
      if (!node.properties) throw new Error(`field ${field.name}: ${part} is declared as a leaf and as an object`);
      level = node.properties;
    }
    const leaf = parts[parts.length - 1]!;
    if (level[leaf]) throw new Error(`field ${field.name} is declared twice`);
    level[leaf] = { type: field.type };
  }
  return root;
}
