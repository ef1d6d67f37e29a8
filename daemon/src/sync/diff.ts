import type { Knex } from 'knex';
import type { RunCounts } from '../store/runs.js';
import type { Snapshot } from './snapshot.js';
import type { RosterKind, RosterTable } from '../roster/tables.js';

/**
 * The diff between a snapshot's staged roster and the store, per kind, and its application.
 * Applying deletes every stored row that is gone or changed and inserts every staged row that is new or
 * changed, so an unchanged re-sync writes no roster rows at all. Pure SQL over indexed keys: no roster
 * is ever held in process memory.
 */

export interface ChangeCounts {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Rows of this kind the store held before the run: the base for deletion limits. */
  before: number;
  /** Additions-only mode: stored rows the SIS no longer returns, kept instead of deleted (not in `unchanged`). */
  kept?: number;
}

export type Counts = Partial<Record<RosterKind, ChangeCounts>>;

interface Context {
  knex: Knex;
  snapshot: Snapshot;
  integration: string;
}

/** Null-safe equality, spelled per dialect (SQLite's IS; the standard IS NOT DISTINCT FROM elsewhere). */
function same(knex: Knex, left: string, right: string): string {
  const sqlite = /sqlite/.test(String(knex.client.config.client));
  return sqlite ? `${left} IS ${right}` : `${left} IS NOT DISTINCT FROM ${right}`;
}

export function keyMatch(t: RosterTable, left: string, right: string): string {
  return t.key.map((k) => `${left}."${k}" = ${right}."${k}"`).join(' AND ');
}

export function valuesMatch(knex: Knex, t: RosterTable, left: string, right: string): string {
  return t.values.map((v) => same(knex, `${left}."${v}"`, `${right}."${v}"`)).join(' AND ');
}

/** The stored rows this table's job owns, as SQL with bindings. */
function ownedRows(t: RosterTable, integration: string): { sql: string; bindings: unknown[] } {
  return t.role
    ? { sql: `r.integration = ? AND r.role = ?`, bindings: [integration, t.role] }
    : { sql: `r.integration = ?`, bindings: [integration] };
}

/** The rows of a raw query: better-sqlite3 returns them as is, PostgreSQL as { rows }. */
export async function rawRows<T>(knex: Knex, sql: string, bindings: unknown[]): Promise<T[]> {
  const result = (await knex.raw(sql, bindings as Knex.RawBinding[])) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function count(knex: Knex, sql: string, bindings: unknown[]): Promise<number> {
  return Number((await rawRows<{ n: number | string }>(knex, sql, bindings))[0]!.n);
}

/**
 * One pass over the staged rows, each looked up in the store by its key (the primary key on both sides, so a
 * key matches at most one row): created = staged rows without a match, updated = matches whose values differ,
 * deleted = stored rows no staged row matched (what the store held minus the matches).
 */
export async function countChanges(ctx: Context, t: RosterTable): Promise<ChangeCounts> {
  const { knex, snapshot, integration } = ctx;
  const staged = snapshot.table(t.staged);
  const owned = ownedRows(t, integration);
  const stagedRole = t.role ? { sql: 's.role = ?', bindings: [t.role] } : { sql: '1 = 1', bindings: [] };
  const before = await count(knex, `SELECT COUNT(*) AS n FROM "${t.table}" r WHERE ${owned.sql}`, owned.bindings);
  const [row] = await rawRows<{ total: number | string; matched: number | string | null; updated: number | string | null }>(
    knex,
    `SELECT COUNT(*) AS total, COUNT(r."${t.key[0]}") AS matched,
            SUM(CASE WHEN r."${t.key[0]}" IS NOT NULL AND NOT (${valuesMatch(knex, t, 's', 'r')}) THEN 1 ELSE 0 END) AS updated
       FROM "${staged}" s LEFT JOIN "${t.table}" r ON r.integration = ? AND ${keyMatch(t, 'r', 's')}
      WHERE ${stagedRole.sql}`,
    [integration, ...stagedRole.bindings],
  );
  const total = Number(row!.total);
  const matched = Number(row!.matched ?? 0);
  const updated = Number(row!.updated ?? 0);
  return { created: total - matched, updated, deleted: before - matched, unchanged: matched - updated, before };
}

/**
 * Additions-only mode: copies into the staged roster every stored row of this kind the SIS no longer returned
 * (the rows the diff counted as deleted), so the plan (held or not) deletes nothing.
 */
export async function keepMissing(ctx: Context, t: RosterTable): Promise<void> {
  const { knex, snapshot, integration } = ctx;
  const staged = snapshot.table(t.staged);
  const owned = ownedRows(t, integration);
  const columns = [...t.key, ...t.values];
  await knex.raw(
    `INSERT INTO "${staged}" (${columns.map((c) => `"${c}"`).join(', ')})
     SELECT ${columns.map((c) => `r."${c}"`).join(', ')} FROM "${t.table}" r
     WHERE ${owned.sql} AND NOT EXISTS (SELECT 1 FROM "${staged}" s WHERE ${keyMatch(t, 's', 'r')})`,
    owned.bindings as Knex.RawBinding[],
  );
}

/** A plan's counts as the data log keeps them (without `before`, which only the limits need). */
export function toRunCounts(counts: Counts): RunCounts {
  const out: RunCounts = {};
  for (const [kind, c] of Object.entries(counts)) {
    if (!c) continue;
    out[kind] = { created: c.created, updated: c.updated, deleted: c.deleted, unchanged: c.unchanged };
    if (c.kept !== undefined) out[kind].kept = c.kept;
  }
  return out;
}

/** "+3 ~1 -0", with "kept N" in additions-only mode: one spelling for every summary line. */
export function describeCounts(c: { created: number; updated: number; deleted: number; kept?: number }): string {
  return `+${c.created} ~${c.updated} -${c.deleted}${c.kept ? ` kept ${c.kept}` : ''}`;
}

/** Applies one table's changes inside the caller's transaction. */
export async function applyChanges(trx: Knex.Transaction, snapshot: Snapshot, integration: string, t: RosterTable): Promise<void> {
  const staged = snapshot.table(t.staged);
  const owned = ownedRows(t, integration);
  await trx.raw(
    `DELETE FROM "${t.table}" WHERE integration = ? ${t.role ? 'AND role = ?' : ''} AND NOT EXISTS (
       SELECT 1 FROM "${staged}" s WHERE ${keyMatch(t, 's', `"${t.table}"`)} AND ${valuesMatch(trx, t, 's', `"${t.table}"`)})`,
    owned.bindings as Knex.RawBinding[],
  );
  const columns = [...t.key, ...t.values];
  const list = columns.map((c) => `"${c}"`).join(', ');
  await trx.raw(
    `INSERT INTO "${t.table}" (integration, ${list})
     SELECT ?, ${columns.map((c) => `s."${c}"`).join(', ')} FROM "${staged}" s
     WHERE ${t.role ? 's.role = ? AND' : ''} NOT EXISTS (SELECT 1 FROM "${t.table}" r WHERE r.integration = ? AND ${keyMatch(t, 'r', 's')})`,
    (t.role ? [integration, t.role, integration] : [integration, integration]) as Knex.RawBinding[],
  );
}
