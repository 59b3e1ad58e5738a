/**
 * readRow: a row read back from the state database, checked against its zod schema (row-schemas.ts) without loading
 * zod: through the schema's RowSpec, generated into core/session/row-specs.ts by scripts/row-checks.mjs.
 */
import type { z } from 'zod';
import type { ROW_SCHEMAS } from './row-schemas.js';
import { checkRow } from '../../core/session/row-check.js';
import { ROW_SPECS } from '../../core/session/row-specs.js';

/** The name of a row schema in ROW_SCHEMAS. */
export type RowName = keyof typeof ROW_SCHEMAS;
/** What the schema named `K` parses a row to. */
export type RowOf<K extends RowName> = z.output<(typeof ROW_SCHEMAS)[K]>;

/** `row` checked against the schema named `name` (what its zod `parse` would give); throws naming the column. */
export function readRow<K extends RowName>(name: K, row: unknown): RowOf<K> {
  return checkRow<RowOf<K>>(ROW_SPECS[name], row, name);
}
