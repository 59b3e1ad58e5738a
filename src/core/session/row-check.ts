/**
 * Checking rows read back from the state database without zod, so that `crewmux status` starts fast (zod costs about
 * 100 ms of imports). A RowSpec is a zod row schema described as data: scripts/row-checks.mjs writes one per schema
 * listed in adapters/state/row-schemas.ts into adapters/state/row-checks.ts, and test/unit/row-checks.test.ts checks that the
 * file is current and that checkRow gives what the schema's `parse` gives (the same output, an error for the same rows).
 * The zod schemas stay the source of the types and of the checks.
 */

/** A check on a number (`int`: a safe integer), a string's or an array's length; bounds are [value, inclusive]. */
export type SpecCheck = ['int'] | ['min' | 'max', number, boolean] | ['minLength' | 'maxLength', number];

/** The zod kinds a row schema may use; a JSON text column is `json` (its transform is parseJsonText). */
export type RowSpec =
  | { t: 'string' | 'number' | 'array'; checks?: SpecCheck[]; of?: RowSpec }
  | { t: 'boolean' | 'unknown' }
  | { t: 'enum'; values: readonly (string | number)[] }
  | { t: 'object'; shape: Readonly<Record<string, RowSpec>>; strict?: boolean }
  | { t: 'record'; of: RowSpec }
  | { t: 'nullable' | 'optional' | 'json'; of: RowSpec };

/** The transform of every JSON text column (rows.ts `jsonColumn`): the one transform a RowSpec understands. */
export const parseJsonText = (s: string): unknown => JSON.parse(s) as unknown;

/** Why a value fails a RowSpec: its path in the row and what was expected. */
class RowCheckError extends Error {
  constructor(path: string, expected: string, value: unknown) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    super(`${path || 'the row'}: expected ${expected}, got ${got}`);
  }
}

function checkBounds(checks: SpecCheck[] | undefined, n: number, path: string, what: string): void {
  for (const c of checks ?? []) {
    const [kind] = c;
    if (kind === 'int' && !Number.isSafeInteger(n)) throw new RowCheckError(path, 'an integer', n);
    if ((kind === 'min' || kind === 'max') && !(kind === 'min' ? n > c[1] : n < c[1]) && !(c[2] && n === c[1]))
      throw new RowCheckError(path, `a number ${kind === 'min' ? '>' : '<'}${c[2] ? '=' : ''} ${c[1]}`, n);
    if (kind === 'minLength' && n < c[1]) throw new RowCheckError(path, `${what} of at least ${c[1]}`, n);
    if (kind === 'maxLength' && n > c[1]) throw new RowCheckError(path, `${what} of at most ${c[1]}`, n);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `value` checked against `spec`, as zod's parse gives it: objects keep only their shape's keys, JSON columns parsed. */
function check(spec: RowSpec, value: unknown, path: string): unknown {
  switch (spec.t) {
    case 'string':
      if (typeof value !== 'string') throw new RowCheckError(path, 'a string', value);
      checkBounds(spec.checks, value.length, path, 'a length');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RowCheckError(path, 'a number', value);
      checkBounds(spec.checks, value, path, 'a number');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new RowCheckError(path, 'a boolean', value);
      return value;
    case 'unknown':
      return value;
    case 'enum':
      if (!spec.values.includes(value as string))
        throw new RowCheckError(path, `one of ${spec.values.join(', ')}`, value);
      return value;
    case 'array': {
      if (!Array.isArray(value)) throw new RowCheckError(path, 'an array', value);
      checkBounds(spec.checks, value.length, path, 'a length');
      return value.map((v, i) => check(spec.of!, v, `${path}[${i}]`));
    }
    case 'object': {
      if (!isPlainObject(value)) throw new RowCheckError(path, 'an object', value);
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(spec.shape)) {
        const v = value[k];
        if (v === undefined && s.t === 'optional') continue;
        out[k] = check(s, v, path ? `${path}.${k}` : k);
      }
      if (spec.strict)
        for (const k of Object.keys(value))
          if (!(k in spec.shape)) throw new RowCheckError(path ? `${path}.${k}` : k, 'no such key', value[k]);
      return out;
    }
    case 'record': {
      if (!isPlainObject(value)) throw new RowCheckError(path, 'an object', value);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = check(spec.of, v, `${path}.${k}`);
      return out;
    }
    case 'nullable':
      return value === null ? null : check(spec.of, value, path);
    case 'optional':
      return value === undefined ? undefined : check(spec.of, value, path);
    case 'json': {
      if (typeof value !== 'string') throw new RowCheckError(path, 'a JSON text', value);
      let parsed: unknown;
      try {
        parsed = parseJsonText(value);
      } catch {
        throw new RowCheckError(path, 'a JSON text', value);
      }
      return check(spec.of, parsed, path);
    }
  }
}

/**
 * `row` (from the table `table`) checked against `spec`; throws an Error naming the table and the column when it does
 * not fit. `T` is the zod schema's output type (adapters/state/row-checks.ts pairs each spec with its schema).
 */
export function checkRow<T>(spec: RowSpec, row: unknown, table: string): T {
  try {
    return check(spec, row, '') as T;
  } catch (e) {
    throw new Error(`A ${table} row of the state database is not valid: ${(e as Error).message}`);
  }
}
