import type { Knex } from 'knex';
import type { Snapshot } from './snapshot.js';
import type { RosterKind, RosterTable } from '../roster/tables.js';
import { keyMatch, rawRows, valuesMatch, type ChangeCounts } from './diff.js';

/**
 * What a run would change, readable by people: per kind and per school, and the first changes of each kind
 * with names. `rosterd plan` prints it; every sync computes it before applying; a held run keeps it.
 */

export type Change = 'created' | 'updated' | 'deleted';

export interface ChangeSample {
  change: Change;
  id: string;
  /** A readable label: a class name, a person's name and email, "person in class". */
  label: string;
  schoolId: string | null;
  /** For updates: the fields that differ, before and after. */
  fields?: Record<string, { before: unknown; after: unknown }>;
}

export interface KindPlan {
  kind: RosterKind;
  role?: 'teacher' | 'student';
  counts: ChangeCounts;
  bySchool: { schoolId: string; schoolName: string | null; created: number; updated: number; deleted: number }[];
  changes: ChangeSample[];
  /** True when `changes` lists only the first of them. */
  truncated: boolean;
}

interface Ctx {
  knex: Knex;
  snapshot: Snapshot;
  integration: string;
}

/** The SQL for the rows of one change type, each with `_id`, `_school` and `_label` columns (plus r_/s_ values for updates). */
function changeQuery(ctx: Ctx, t: RosterTable, change: Change): { sql: string; bindings: unknown[]; orderBy: string } {
  const { snapshot, integration } = ctx;
  const staged = `"${snapshot.table(t.staged)}"`;
  const store = `"${t.table}"`;
  const roleS = t.role ? `AND s.role = '${t.role}'` : '';
  const roleR = t.role ? `AND r.role = '${t.role}'` : '';
  // The row whose label and school we show: the staged row for creations and updates, the stored one for deletions.
  const x = change === 'deleted' ? 'r' : 's';
  const { id, school, label } = describe(ctx, t, x);
  const extra = change === 'updated' ? ', ' + t.values.map((v) => `r."${v}" AS "r_${v}", s."${v}" AS "s_${v}"`).join(', ') : '';
  const select = `SELECT ${id} AS _id, ${school} AS _school, ${label} AS _label${extra}`;
  // Order by the key columns, not the computed id: the key is indexed, so the first N come without a sort of all rows.
  const orderBy = t.key.map((k) => `${x}."${k}"`).join(', ');
  switch (change) {
    case 'created':
      return {
        sql: `${select} FROM ${staged} s WHERE 1 = 1 ${roleS} AND NOT EXISTS (SELECT 1 FROM ${store} r WHERE r.integration = ? AND ${keyMatch(t, 'r', 's')})`,
        bindings: [integration],
        orderBy,
      };
    case 'deleted':
      return {
        sql: `${select} FROM ${store} r WHERE r.integration = ? ${roleR} AND NOT EXISTS (SELECT 1 FROM ${staged} s WHERE ${keyMatch(t, 's', 'r')})`,
        bindings: [integration],
        orderBy,
      };
    case 'updated':
      return {
        sql: `${select} FROM ${store} r JOIN ${staged} s ON ${keyMatch(t, 's', 'r')} WHERE r.integration = ? ${roleR} AND NOT (${valuesMatch(ctx.knex, t, 's', 'r')})`,
        bindings: [integration],
        orderBy,
      };
  }
}

/** Id, school and label expressions for a row aliased `x` of table t; memberships look up their user and class by name. */
function describe(ctx: Ctx, t: RosterTable, x: string): { id: string; school: string; label: string } {
  const { snapshot } = ctx;
  const integration = `'${ctx.integration.replace(/'/g, "''")}'`;
  switch (t.kind) {
    case 'schools':
      return { id: `${x}.sourced_id`, school: `${x}.sourced_id`, label: `${x}.name` };
    case 'classes':
      return { id: `${x}.sourced_id`, school: `${x}.school_id`, label: `${x}.name` };
    case 'teachers':
    case 'students':
      return { id: `${x}.sourced_id`, school: `${x}.school_id`, label: `${x}.given_name || ' ' || ${x}.family_name || ' <' || ${x}.email || '>'` };
    case 'enrollments': {
      // A membership's people and classes may be new (staged) or old (stored): look in both.
      const lookup = (column: string, stagedTable: string, storeTable: string, keyColumn: string, extra = '') =>
        `COALESCE(
          (SELECT ${column} FROM "${snapshot.table(stagedTable)}" q WHERE q.sourced_id = ${x}.${keyColumn} ${extra}),
          (SELECT ${column} FROM "${storeTable}" q WHERE q.integration = ${integration} AND q.sourced_id = ${x}.${keyColumn} ${extra}))`;
      const classTable = snapshot.hasTable('r_classes') ? 'r_classes' : null;
      const className = classTable
        ? lookup('q.name', classTable, 'roster_classes', 'class_id')
        : `(SELECT q.name FROM roster_classes q WHERE q.integration = ${integration} AND q.sourced_id = ${x}.class_id)`;
      const classSchool = classTable
        ? lookup('q.school_id', classTable, 'roster_classes', 'class_id')
        : `(SELECT q.school_id FROM roster_classes q WHERE q.integration = ${integration} AND q.sourced_id = ${x}.class_id)`;
      const person = lookup(`q.given_name || ' ' || q.family_name`, 'r_users', 'roster_users', 'user_id', `AND q.role = ${x}.role`);
      return {
        id: `${x}.class_id || '/' || ${x}.user_id`,
        school: classSchool,
        label: `COALESCE(${person}, ${x}.user_id) || ' (' || ${x}.role || ') in ' || COALESCE(${className}, ${x}.class_id)`,
      };
    }
  }
}

/** School names for the per-school counts: the schools in scope now, and those the store still has. */
async function schoolNamesOf(ctx: Ctx): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const stored = (await ctx.knex('roster_schools').select('sourced_id', 'name').where('integration', ctx.integration)) as { sourced_id: string; name: string }[];
  for (const s of stored) names.set(s.sourced_id, s.name);
  if (ctx.snapshot.hasTable('scope_schools')) {
    for (const s of (await ctx.knex(ctx.snapshot.table('scope_schools')).select('sourced_id', 'name')) as { sourced_id: string; name: string }[]) names.set(s.sourced_id, s.name);
  }
  return names;
}

export async function planKind(ctx: Ctx, t: RosterTable, counts: ChangeCounts, sampleLimit: number): Promise<KindPlan> {
  const bySchool = new Map<string, KindPlan['bySchool'][number]>();
  const schoolNames = await schoolNamesOf(ctx);
  const changes: ChangeSample[] = [];
  let truncated = false;
  for (const change of ['deleted', 'updated', 'created'] as const) {
    if (counts[change] === 0) continue;
    const q = changeQuery(ctx, t, change);
    const grouped = await rawRows<{ _school: string | null; n: number }>(ctx.knex, `SELECT _school, COUNT(*) AS n FROM (${q.sql}) x GROUP BY _school ORDER BY _school`, q.bindings);
    for (const g of grouped) {
      const key = g._school ?? '';
      const entry = bySchool.get(key) ?? { schoolId: key, schoolName: schoolNames.get(key) ?? null, created: 0, updated: 0, deleted: 0 };
      entry[change] += Number(g.n);
      bySchool.set(key, entry);
    }
    const sample = await rawRows<Record<string, unknown>>(ctx.knex, `${q.sql} ORDER BY ${q.orderBy} LIMIT ${Math.max(0, Math.floor(sampleLimit))}`, q.bindings);
    if (counts[change] > sample.length) truncated = true;
    for (const row of sample) {
      const entry: ChangeSample = { change, id: String(row._id), label: String(row._label ?? row._id), schoolId: (row._school as string | null) ?? null };
      if (change === 'updated') {
        entry.fields = {};
        for (const v of t.values) if (row[`r_${v}`] !== row[`s_${v}`]) entry.fields[v] = { before: row[`r_${v}`], after: row[`s_${v}`] };
      }
      changes.push(entry);
    }
  }
  return { kind: t.kind, role: t.role, counts, bySchool: [...bySchool.values()], changes, truncated };
}
