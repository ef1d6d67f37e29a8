import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { BulkInserter } from '../store/bulk.js';
import type { CollectionName, CollectionRecords } from '../oneroster/model.js';

/**
 * A snapshot is one complete read of the SIS, staged in the store rather than in process memory, so a
 * district of 400,000 students syncs in bounded memory. Staging tables are private to the snapshot
 * (named with its id) and dropped when it is done; they are scratch space, never the roster.
 */

type Row = readonly unknown[];

interface StagedCollection<C extends CollectionName> {
  table: string;
  /** Column definitions: name and whether it is part of the key. Text unless flagged. */
  columns: { name: string; key?: boolean; integer?: boolean }[];
  toRows(record: CollectionRecords[C]): Row[];
  /** Extra child table (many-valued fields kept relational so SQL can join on them). */
  child?: { table: string; columns: { name: string; key?: boolean }[]; toRows(record: CollectionRecords[C]): Row[] };
}

const staged: { [C in CollectionName]: StagedCollection<C> } = {
  orgs: {
    table: 'orgs',
    columns: [{ name: 'sourced_id', key: true }, { name: 'status' }, { name: 'name' }, { name: 'type' }, { name: 'identifier' }, { name: 'parent_id' }],
    toRows: (o) => [[o.sourcedId, o.status, o.name, o.type, o.identifier, o.parentId]],
  },
  academicSessions: {
    table: 'sessions',
    columns: [{ name: 'sourced_id', key: true }, { name: 'status' }, { name: 'title' }, { name: 'type' }, { name: 'start_date' }, { name: 'end_date' }],
    toRows: (s) => [[s.sourcedId, s.status, s.title, s.type, s.startDate, s.endDate]],
  },
  courses: {
    table: 'courses',
    columns: [{ name: 'sourced_id', key: true }, { name: 'status' }, { name: 'title' }, { name: 'course_code' }, { name: 'org_id' }],
    toRows: (c) => [[c.sourcedId, c.status, c.title, c.courseCode, c.orgId]],
  },
  classes: {
    table: 'classes',
    columns: [
      { name: 'sourced_id', key: true }, { name: 'status' }, { name: 'title' }, { name: 'class_code' }, { name: 'course_id' },
      { name: 'school_id' }, { name: 'term_ids' }, { name: 'periods' },
    ],
    // Terms and periods keep their SIS order; the roster builder picks the term that names the class.
    toRows: (c) => [[c.sourcedId, c.status, c.title, c.classCode, c.courseId, c.schoolId, c.termIds.join(','), c.periods.join(',')]],
  },
  users: {
    table: 'users',
    columns: [
      { name: 'sourced_id', key: true }, { name: 'status' }, { name: 'enabled', integer: true }, { name: 'given_name' }, { name: 'family_name' },
      { name: 'email' }, { name: 'role' }, { name: 'primary_org_id' },
    ],
    toRows: (u) => [[u.sourcedId, u.status, u.enabledUser ? 1 : 0, u.givenName, u.familyName, u.email, u.role, u.primaryOrgId]],
    child: {
      table: 'user_orgs',
      columns: [{ name: 'user_id', key: true }, { name: 'org_id', key: true }],
      toRows: (u) => [...new Set(u.orgIds)].map((org) => [u.sourcedId, org]),
    },
  },
  enrollments: {
    table: 'enrollments',
    columns: [
      { name: 'sourced_id', key: true }, { name: 'status' }, { name: 'user_id' }, { name: 'class_id' }, { name: 'school_id' },
      { name: 'role' }, { name: 'is_primary', integer: true }, { name: 'begin_date' }, { name: 'end_date' },
    ],
    toRows: (e) => [[e.sourcedId, e.status, e.userId, e.classId, e.schoolId, e.role, e.primary ? 1 : 0, e.beginDate, e.endDate]],
  },
};

export interface StageCounts {
  received: number;
  staged: number;
}

export class Snapshot {
  readonly id: string;
  private readonly created = new Set<string>();
  private readonly counts = new Map<CollectionName, StageCounts>();

  private constructor(
    readonly knex: Knex,
    id: string,
  ) {
    this.id = id;
  }

  static async create(knex: Knex): Promise<Snapshot> {
    // The id starts with the process id, so a later process can tell a dead process's leftovers from live work.
    return new Snapshot(knex, `${process.pid.toString(36)}x${randomBytes(3).toString('hex')}`);
  }

  /** A snapshot whose tables were kept for a held run: only to apply or drop them. */
  static attach(knex: Knex, id: string): Snapshot {
    return new Snapshot(knex, id);
  }

  /** Takes these staging tables out of `drop()` (a held run keeps its staged roster) and returns their real names. */
  keep(names: string[]): string[] {
    const kept: string[] = [];
    for (const name of names) {
      const table = this.table(name);
      if (this.created.delete(table)) kept.push(table);
    }
    return kept;
  }

  /** The real table name of a staging table of this snapshot, e.g. `stage_1a2b3c4d_users`. */
  table(name: string): string {
    return `stage_${this.id}_${name}`;
  }

  has(collection: CollectionName): boolean {
    return this.counts.has(collection);
  }

  countsOf(collection: CollectionName): StageCounts | undefined {
    return this.counts.get(collection);
  }

  /** Stages every page of one collection; returns what was received and what was new after de-duplication. */
  async stage<C extends CollectionName>(collection: C, pages: AsyncIterable<CollectionRecords[C][]>, onPage?: (counts: StageCounts) => void): Promise<StageCounts> {
    const spec = staged[collection] as StagedCollection<C>;
    await this.createTable(spec.table, spec.columns);
    if (spec.child) await this.createTable(spec.child.table, spec.child.columns);
    const keyOf = (cols: { name: string; key?: boolean }[]) => cols.filter((c) => c.key).map((c) => c.name);
    const main = new BulkInserter(this.knex, this.table(spec.table), spec.columns.map((c) => c.name), keyOf(spec.columns));
    const child = spec.child
      ? new BulkInserter(this.knex, this.table(spec.child.table), spec.child.columns.map((c) => c.name), keyOf(spec.child.columns))
      : null;
    const counts: StageCounts = { received: 0, staged: 0 };
    for await (const page of pages) {
      const rows: Row[] = [];
      const childRows: Row[] = [];
      for (const record of page) {
        rows.push(...spec.toRows(record));
        if (spec.child) childRows.push(...spec.child.toRows(record));
      }
      counts.received += page.length;
      counts.staged += await main.insert(rows);
      if (child) await child.insert(childRows);
      onPage?.(counts);
    }
    this.counts.set(collection, counts);
    return counts;
  }

  hasTable(name: string): boolean {
    return this.created.has(this.table(name));
  }

  /** A scratch table of this snapshot for derived data (the roster it builds). */
  async createTable(name: string, columns: { name: string; key?: boolean; integer?: boolean }[]): Promise<string> {
    const table = this.table(name);
    if (this.created.has(table)) return table;
    await this.knex.schema.createTable(table, (t) => {
      for (const c of columns) (c.integer ? t.integer(c.name) : t.text(c.name)).nullable();
      const key = columns.filter((c) => c.key).map((c) => c.name);
      if (key.length > 0) t.primary(key);
    });
    this.created.add(table);
    return table;
  }

  async addIndex(name: string, columns: string[]): Promise<void> {
    await this.knex.schema.alterTable(this.table(name), (t) => t.index(columns));
  }

  /** Drops every staging table; safe to call twice, and after a failure. */
  async drop(): Promise<void> {
    for (const table of this.created) await this.knex.schema.dropTableIfExists(table);
    this.created.clear();
  }
}

/**
 * Drops the staging tables of snapshots whose process died (SIGKILL, OOM, power loss) so they do not pile up
 * in the store. Tables of a live process (this one included: the daemon's workers share its pid) and tables
 * kept for a held run are left alone.
 */
export async function dropOrphanedSnapshots(knex: Knex, keepSnapshotIds: Set<string>): Promise<number> {
  // sqlite_master is SQLite's catalogue; PostgreSQL will list information_schema.tables instead.
  const rows = (await knex('sqlite_master').select('name').where('type', 'table').andWhere('name', 'like', 'stage_%')) as { name: string }[];
  const alive = new Map<number, boolean>();
  const isAlive = (pid: number) => {
    if (!alive.has(pid)) {
      let ok = true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        ok = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      alive.set(pid, ok);
    }
    return alive.get(pid)!;
  };
  let dropped = 0;
  for (const { name } of rows) {
    const m = /^stage_(([0-9a-z]+)x[0-9a-f]+)_/.exec(name);
    if (!m || keepSnapshotIds.has(m[1]!)) continue;
    if (isAlive(parseInt(m[2]!, 36))) continue;
    await knex.schema.dropTableIfExists(name);
    dropped++;
  }
  return dropped;
}
