/**
 * The stores check rows without zod (core/session/row-check.ts) through RowSpecs generated from the zod row schemas
 * (scripts/row-checks.mjs into core/session/row-specs.ts). The file must be current, and a check must agree with zod
 * on every schema: for a valid row of each and for rows broken at each column in each way (wrong type, null, missing,
 * out of bounds, an extra key), the same accepted or refused, and the same output when accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ROW_SCHEMAS } from '../../src/adapters/state/row-schemas.js';
import { readRow, type RowName } from '../../src/adapters/state/row-checks.js';
import { ROW_SPECS } from '../../src/core/session/row-specs.js';
import { rowSpecOf } from '../../src/core/session/row-spec.js';
import { checkRow, parseJsonText, type RowSpec, type SpecCheck } from '../../src/core/session/row-check.js';

const names = Object.keys(ROW_SCHEMAS) as RowName[];

test('row-specs.ts is current (else: npm run build && node scripts/row-checks.mjs)', () => {
  assert.deepEqual(Object.keys(ROW_SPECS).sort(), [...names].sort());
  for (const name of names)
    assert.deepEqual(ROW_SPECS[name], rowSpecOf(ROW_SCHEMAS[name]), `${name}: run node scripts/row-checks.mjs`);
});

/** A value written verbatim where its spec expects something else (a broken row). */
class Raw {
  constructor(readonly v: unknown) {}
}

const bound = (checks: readonly SpecCheck[] | undefined, kind: string) =>
  (checks ?? []).find((c) => c[0] === kind) as [string, number, boolean?] | undefined;

/** A valid value of `spec`, JSON columns still decoded (encode() writes them as text). */
function sample(spec: RowSpec): unknown {
  switch (spec.t) {
    case 'string':
      return 'a'.repeat(Math.max(bound(spec.checks, 'minLength')?.[1] ?? 1, 1));
    case 'number': {
      const min = bound(spec.checks, 'min');
      return min ? (min[2] ? min[1] : min[1] + 1) : 3;
    }
    case 'boolean':
      return true;
    case 'unknown':
      return { any: 1 };
    case 'enum':
      return spec.values[0];
    case 'array':
      return Array.from({ length: Math.max(bound(spec.checks, 'minLength')?.[1] ?? 1, 1) }, () => sample(spec.of!));
    case 'object':
      return Object.fromEntries(Object.entries(spec.shape).map(([k, s]) => [k, sample(s)]));
    case 'record':
      return { key: sample(spec.of) };
    case 'nullable':
    case 'optional':
    case 'json':
      return sample(spec.of);
  }
}

/** `value` as stored: JSON columns as text, Raw values as they are. */
function encode(spec: RowSpec, value: unknown): unknown {
  if (value instanceof Raw) return value.v;
  if (value === null || value === undefined) return value;
  switch (spec.t) {
    case 'json':
      return JSON.stringify(encode(spec.of, value));
    case 'nullable':
    case 'optional':
      return encode(spec.of, value);
    case 'array':
      return Array.isArray(value) ? value.map((v) => encode(spec.of!, v)) : value;
    case 'object':
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, spec.shape[k] ? encode(spec.shape[k], v) : v]),
      );
    case 'record':
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(spec.of, v)]));
    default:
      return value;
  }
}

/** Values that replace a value of `spec`, valid or not: the caller asks zod which. */
function variants(spec: RowSpec, valid: unknown): unknown[] {
  const out: unknown[] = [new Raw(null), new Raw(undefined), new Raw({}), new Raw('text'), new Raw(7), new Raw([])];
  const checks = 'checks' in spec ? spec.checks : undefined;
  switch (spec.t) {
    case 'number':
      out.push(new Raw(1.5), new Raw(-1), new Raw(0), new Raw(Infinity), new Raw(NaN));
      for (const c of checks ?? [])
        if (c[0] === 'min' || c[0] === 'max') out.push(new Raw(c[1]), new Raw(c[1] + (c[0] === 'min' ? -1 : 1)));
      break;
    case 'string':
      out.push(new Raw(''), new Raw('a'.repeat((bound(checks, 'maxLength')?.[1] ?? 10) + 1)));
      break;
    case 'boolean':
      out.push(new Raw(false), new Raw(1));
      break;
    case 'enum':
      out.push(new Raw('no such value'));
      break;
    case 'array':
      out.push(
        [],
        Array.from({ length: (bound(checks, 'maxLength')?.[1] ?? 3) + 1 }, () => sample(spec.of!)),
      );
      break;
    case 'object':
      out.push({ ...(valid as object), extra: 1 });
      break;
    case 'json':
      out.push(new Raw('{not json'), new Raw(JSON.stringify('a string')));
      break;
    case 'record':
      out.push({ ...(valid as object), other: new Raw(null) }, {});
      break;
    case 'nullable':
    case 'optional':
      out.push(...variants(spec.of, valid));
      break;
    case 'unknown':
      break;
  }
  return out;
}

/** `row` with the value at `path` replaced by `v`. */
function replaced(row: unknown, path: (string | number)[], v: unknown): unknown {
  if (!path.length) return v;
  const [head, ...rest] = path;
  if (Array.isArray(row)) return row.map((x, i) => (i === head ? replaced(x, rest, v) : x));
  const o = { ...(row as Record<string, unknown>) };
  if (v instanceof Raw && v.v === undefined && rest.length === 0) delete o[head as string];
  else o[head as string] = replaced(o[head as string], rest, v);
  return o;
}

/** Every [path, spec, valid value] in a sample of `spec`. */
function* places(
  spec: RowSpec,
  value: unknown,
  path: (string | number)[] = [],
): Generator<[(string | number)[], RowSpec, unknown]> {
  yield [path, spec, value];
  if (spec.t === 'nullable' || spec.t === 'optional') yield* [...places(spec.of, value, path)].slice(1);
  else if (spec.t === 'json') yield* places(spec.of, value, path);
  else if (spec.t === 'object')
    for (const [k, s] of Object.entries(spec.shape))
      yield* places(s, (value as Record<string, unknown>)[k], [...path, k]);
  else if (spec.t === 'array') yield* places(spec.of!, (value as unknown[])[0], [...path, 0]);
  else if (spec.t === 'record') yield* places(spec.of, (value as Record<string, unknown>).key, [...path, 'key']);
}

function agree(name: RowName, schema: z.ZodType, stored: unknown, what: string): boolean {
  // A JSON column's transform throws out of safeParse on text that is not JSON: zod refuses the row too.
  let zod: { success: true; data: unknown } | { success: false };
  try {
    zod = schema.safeParse(stored);
  } catch {
    zod = { success: false };
  }
  let ours: { ok: true; value: unknown } | { ok: false };
  try {
    ours = { ok: true, value: readRow(name, stored) };
  } catch {
    ours = { ok: false };
  }
  assert.equal(
    ours.ok,
    zod.success,
    `${name} ${what}: zod ${zod.success ? 'accepts' : 'refuses'} ${JSON.stringify(stored)}`,
  );
  if (ours.ok && zod.success) assert.deepEqual(ours.value, zod.data, `${name} ${what}: the same output`);
  return zod.success;
}

test('readRow agrees with zod on a valid row of every schema and on rows broken at every column', () => {
  let refused = 0;
  for (const name of names) {
    const spec = ROW_SPECS[name] as RowSpec;
    const valid = sample(spec);
    assert.ok(agree(name, ROW_SCHEMAS[name], encode(spec, valid), 'sample'), `${name}: the sample is valid`);
    for (const [path, s, v] of places(spec, valid))
      for (const variant of variants(s, v))
        if (!agree(name, ROW_SCHEMAS[name], encode(spec, replaced(valid, path, variant)), `at ${path.join('.')}`))
          refused++;
  }
  assert.ok(refused > 500, `the broken rows are refused (${refused})`);
});

test('a refused row names the table and the column; only parseJsonText makes a JSON column', () => {
  assert.throws(
    () => checkRow(ROW_SPECS.session as RowSpec, { id: 5 }, 'session'),
    /^Error: A session row of the state database is not valid: id: expected a string, got number$/,
  );
  assert.throws(() => rowSpecOf(z.string().transform((s) => s.length)), /only a JSON text column/);
  assert.throws(() => rowSpecOf(z.string().refine((s) => s !== 'x')), /the check custom has no RowSpec/);
  assert.deepEqual(rowSpecOf(z.string().transform(parseJsonText).pipe(z.array(z.number()))), {
    t: 'json',
    of: { t: 'array', of: { t: 'number' } },
  });
});
