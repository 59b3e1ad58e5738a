/**
 * A zod row schema described as a RowSpec (row-check.ts), for scripts/row-checks.mjs and its test. Reads zod's own
 * definitions (`_zod.def`); a kind or a check a RowSpec cannot express is an error naming its path, so a schema that
 * outgrows the checker is noticed when the file is generated, not when a row is read.
 */
import type { z } from 'zod';
import { parseJsonText, type RowSpec, type SpecCheck } from './row-check.js';

interface Def {
  type: string;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  [k: string]: unknown;
}
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

function checksOf(def: Def, path: string): SpecCheck[] | undefined {
  const out: SpecCheck[] = [];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'number_format' && d.format === 'safeint') out.push(['int']);
    else if (d.check === 'greater_than') out.push(['min', d.value as number, d.inclusive as boolean]);
    else if (d.check === 'less_than') out.push(['max', d.value as number, d.inclusive as boolean]);
    else if (d.check === 'min_length') out.push(['minLength', d.minimum as number]);
    else if (d.check === 'max_length') out.push(['maxLength', d.maximum as number]);
    else throw new Error(`${path || 'the row'}: the check ${String(d.check)} has no RowSpec`);
  }
  return out.length ? out : undefined;
}

/** `schema` as a RowSpec; throws for what a RowSpec cannot say (a transform other than parseJsonText, a refinement). */
export function rowSpecOf(schema: z.ZodType, path = ''): RowSpec {
  const def = defOf(schema);
  const at = (k: string) => (path ? `${path}.${k}` : k);
  switch (def.type) {
    case 'string':
    case 'number': {
      const checks = checksOf(def, path);
      return checks ? { t: def.type, checks } : { t: def.type };
    }
    case 'boolean':
    case 'unknown':
      if (def.checks?.length) throw new Error(`${path || 'the row'}: a refinement has no RowSpec`);
      return { t: def.type };
    case 'enum':
      return { t: 'enum', values: Object.values(def.entries as Record<string, string | number>) };
    case 'literal':
      return { t: 'enum', values: def.values as (string | number)[] };
    case 'array': {
      const checks = checksOf(def, path);
      const of = rowSpecOf(def.element as z.ZodType, `${path}[]`);
      return checks ? { t: 'array', checks, of } : { t: 'array', of };
    }
    case 'object': {
      if (def.checks?.length) throw new Error(`${path || 'the row'}: a refinement has no RowSpec`);
      const shape = Object.fromEntries(
        Object.entries(def.shape as Record<string, z.ZodType>).map(([k, s]) => [k, rowSpecOf(s, at(k))]),
      );
      const catchall = def.catchall === undefined ? undefined : defOf(def.catchall).type;
      if (catchall !== undefined && catchall !== 'never')
        throw new Error(`${path || 'the row'}: a catchall has no RowSpec`);
      return catchall === 'never' ? { t: 'object', shape, strict: true } : { t: 'object', shape };
    }
    case 'record':
      if (defOf(def.keyType).type !== 'string') throw new Error(`${path}: a record's keys must be strings`);
      return { t: 'record', of: rowSpecOf(def.valueType as z.ZodType, `${path}.*`) };
    case 'nullable':
    case 'optional':
      return { t: def.type, of: rowSpecOf(def.innerType as z.ZodType, path) };
    case 'pipe': {
      // rows.ts jsonColumn: z.string().transform(parseJsonText).pipe(schema).
      const first = defOf(def.in);
      const isJson =
        first.type === 'pipe' &&
        defOf(first.in).type === 'string' &&
        !defOf(first.in).checks?.length &&
        defOf(first.out).type === 'transform' &&
        defOf(first.out).transform === parseJsonText;
      if (!isJson) throw new Error(`${path || 'the row'}: only a JSON text column (parseJsonText) may transform`);
      return { t: 'json', of: rowSpecOf(def.out as z.ZodType, path) };
    }
    default:
      throw new Error(`${path || 'the row'}: the zod type ${def.type} has no RowSpec`);
  }
}
