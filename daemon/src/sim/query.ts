/**
 * The OneRoster query parameters beyond paging: `filter` (field op 'value' joined by AND / OR), `fields`, `sort`.
 * Filtering and non-sourcedId sorts scan the collection; only paging by sourcedId needs to be fast.
 */
import type { Json } from './shapes.js';

export type Op = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';
export interface Clause { field: string; op: Op; value: string }
/** A disjunction of conjunctions: AND binds tighter than OR. */
export type Filter = Clause[][];

export class QueryError extends Error {
  constructor(message: string, readonly codeMinor: 'invalid_filter_field' | 'invalid_selection_field' | 'invaliddata') {
    super(message);
  }
}

const CLAUSE = /^\s*([A-Za-z][A-Za-z0-9_.]*)\s*(!=|>=|<=|=|>|<|~)\s*'((?:[^']|'')*)'\s*/;

export function parseFilter(text: string): Filter {
  const groups: Filter = [[]];
  let rest = text;
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (!m) throw new QueryError(`filter: expected field op 'value' at "${rest.slice(0, 40)}"`, 'invalid_filter_field');
    (groups[groups.length - 1] as Clause[]).push({ field: m[1] as string, op: m[2] as Op, value: (m[3] as string).replace(/''/g, "'") });
    rest = rest.slice(m[0].length);
    if (rest.trim() === '') return groups;
    const join = /^(AND|OR)\s+/i.exec(rest);
    if (!join) throw new QueryError(`filter: expected AND or OR at "${rest.slice(0, 40)}"`, 'invalid_filter_field');
    if ((join[1] as string).toUpperCase() === 'OR') groups.push([]);
    rest = rest.slice(join[0].length);
  }
}

/** A field of a record by dotted path (`user.sourcedId`); arrays match when any element does. */
function valuesAt(record: unknown, path: string[]): unknown[] {
  if (path.length === 0) return Array.isArray(record) ? record : [record];
  if (Array.isArray(record)) return record.flatMap((r) => valuesAt(r, path));
  if (record === null || typeof record !== 'object') return [];
  const [head, ...tail] = path;
  return valuesAt((record as Record<string, unknown>)[head as string], tail);
}

function compare(actual: unknown, op: Op, expected: string): boolean {
  if (actual === undefined) return false;
  const a = actual === null ? '' : typeof actual === 'object' ? JSON.stringify(actual) : String(actual);
  switch (op) {
    case '=': return a === expected;
    case '!=': return a !== expected;
    case '>': return a > expected;
    case '>=': return a >= expected;
    case '<': return a < expected;
    case '<=': return a <= expected;
    case '~': return a.toLowerCase().includes(expected.toLowerCase());
  }
}

export function matches(record: Json, filter: Filter): boolean {
  return filter.some((group) =>
    group.every((c) => {
      const values = valuesAt(record, c.field.split('.'));
      // != means no value equals; the others mean some value satisfies.
      if (c.op === '!=') return values.every((v) => compare(v, '!=', c.value));
      return values.some((v) => compare(v, c.op, c.value));
    }),
  );
}

export function parseFields(text: string | null): string[] | null {
  if (text === null || text.trim() === '') return null;
  return text.split(',').map((f) => f.trim()).filter((f) => f !== '');
}

export function selectFields(record: Json, fields: string[] | null): Json {
  if (!fields) return record;
  const out: Json = {};
  for (const f of fields) if (f in record) out[f] = record[f];
  return out;
}

/** A sort key for the non-sourcedId sorts (scanned): the field's text, or '' when absent. */
export function sortKey(record: Json, field: string): string {
  const v = valuesAt(record, field.split('.'))[0];
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}
