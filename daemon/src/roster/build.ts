import type { Snapshot } from '../sync/snapshot.js';
import { BulkInserter } from '../store/bulk.js';
import { compileClassNameFormat, folderName, type NameContext } from './naming.js';
import { STAGED_COLUMNS, type Job } from './tables.js';
import type { HaparaConfig } from '../config/types.js';

/**
 * Builds a job's staged roster (r_* tables of the snapshot) from the staged SIS records:
 * only active records in scope, enabled users with an email, enrollments current on `asOf`.
 * The diff against the store happens elsewhere (sync/diff.ts); this only says what the roster should be.
 */

export interface BuildInput {
  snapshot: Snapshot;
  job: Job;
  integration: string;
  hapara: HaparaConfig;
  /** Today in the integration's time zone, YYYY-MM-DD: enrollment dates are inclusive of it. */
  asOf: string;
  /**
   * For the students job: the classes students go into. Normally the store's classes (the platform has them);
   * for a plan of both jobs, the classes job's staged classes (integration null: a snapshot table has no such column).
   */
  storeClasses?: ClassSource;
  /**
   * safety.additionsOnly: stored classes the SIS no longer returns stay on the platform under their names, so
   * a current class may not take one of those names (a term rollover repeats course and period names).
   */
  keepsStoredClasses?: boolean;
}

export interface ClassSource {
  table: string;
  integration: string | null;
}

/** A class-name collision found while naming: reported as a data-quality finding. */
export interface NameCollision {
  schoolId: string;
  name: string;
  classIds: string[];
  /** Of classIds, those kept by additions-only mode: they keep the name. */
  keptIds?: string[];
}

export async function buildRoster(input: BuildInput): Promise<{ collisions: NameCollision[] }> {
  const { snapshot } = input;
  for (const staged of ['r_users', 'r_memberships', ...(input.job === 'classes' ? ['r_schools', 'r_classes'] : [])]) {
    await snapshot.createTable(staged, STAGED_COLUMNS[staged]!);
  }
  let collisions: NameCollision[] = [];
  if (input.job === 'classes') {
    await buildSchools(snapshot);
    collisions = await buildClasses(input);
  }
  const role = input.job === 'classes' ? 'teacher' : 'student';
  await buildUsers(snapshot, role);
  await buildMemberships(input, role);
  return { collisions };
}

async function buildSchools(snapshot: Snapshot): Promise<void> {
  const knex = snapshot.knex;
  await knex
    .into(knex.raw('?? (sourced_id, name, identifier)', [snapshot.table('r_schools')]))
    .insert(knex(snapshot.table('scope_schools')).select('sourced_id', 'name', 'identifier'));
}

interface ClassRow {
  sourced_id: string;
  title: string;
  class_code: string | null;
  periods: string | null;
  school_id: string;
  term_ids: string | null;
  course_title: string | null;
  course_code: string | null;
  term_title?: string | null;
  school_name: string;
  school_identifier: string | null;
}

/** Names every class in scope, makes names unique within each school, and stages them. */
async function buildClasses(input: BuildInput): Promise<NameCollision[]> {
  const { snapshot, hapara } = input;
  const knex = snapshot.knex;
  const format = compileClassNameFormat(hapara.classNameFormat);
  // The config was validated before any run, so a format that does not compile here is a bug, not a user error.
  if (!format.ok) throw new Error(`classNameFormat passed validation but does not compile: ${format.message}`);

  const termTitleOf = await termTitles(snapshot);
  const named: { row: ClassRow; name: string }[] = [];
  // Keyset paging keeps each query small; 60,000 classes of a large district fit in memory comfortably.
  let after = '';
  for (;;) {
    const rows: ClassRow[] = await knex({ c: snapshot.table('classes') })
      .join({ s: snapshot.table('scope_schools') }, 's.sourced_id', 'c.school_id')
      .leftJoin({ co: snapshot.table('courses') }, (j) => j.on('co.sourced_id', 'c.course_id').andOnVal('co.status', 'active'))
      .where('c.status', 'active')
      .andWhere('c.sourced_id', '>', after)
      .orderBy('c.sourced_id')
      .limit(5000)
      .select(
        'c.sourced_id', 'c.title', 'c.class_code', 'c.periods', 'c.school_id', 'c.term_ids',
        { course_title: 'co.title', course_code: 'co.course_code', school_name: 's.name', school_identifier: 's.identifier' },
      );
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.sourced_id;
    for (const row of rows) {
      row.term_title = termTitleOf(row.term_ids);
      named.push({ row, name: format.render(nameContext(row)) });
    }
  }

  const kept = input.keepsStoredClasses ? await keptClassNames(knex, input.integration, new Set(named.map((e) => e.row.sourced_id))) : [];
  const collisions = disambiguate(named, kept);
  const inserter = new BulkInserter(knex, snapshot.table('r_classes'), STAGED_COLUMNS.r_classes!.map((c) => c.name), ['sourced_id']);
  const rows = named.map(({ row, name }) => [
    row.sourced_id, row.school_id, name, row.title, row.class_code, row.course_title, row.course_code, row.term_title ?? null, row.periods ?? '',
    hapara.studentFolders ? folderName(name, hapara.folderNameSuffix) : null,
  ]);
  for (let i = 0; i < rows.length; i += 5000) await inserter.insert(rows.slice(i, i + 5000));
  return collisions;
}

/**
 * A class lists its academic sessions; the one that names it is the first of type `term` (a class may list
 * its school year first), else the first listed. Sessions are few (hundreds), so they are looked up in memory.
 */
async function termTitles(snapshot: Snapshot): Promise<(termIds: string | null) => string | null> {
  const sessions: { sourced_id: string; title: string; type: string }[] = await snapshot.knex(snapshot.table('sessions')).select('sourced_id', 'title', 'type');
  const byId = new Map(sessions.map((s) => [s.sourced_id, s]));
  return (termIds) => {
    if (!termIds) return null;
    const listed = termIds.split(',').map((id) => byId.get(id));
    return (listed.find((s) => s?.type === 'term') ?? listed[0])?.title ?? null;
  };
}

function nameContext(row: ClassRow): NameContext {
  return {
    class: { title: row.title, classCode: row.class_code, sourcedId: row.sourced_id, periods: row.periods ? row.periods.split(',') : [] },
    course: { title: row.course_title, courseCode: row.course_code },
    term: { title: row.term_title ?? null },
    school: { name: row.school_name, identifier: row.school_identifier },
  };
}

export interface KeptClass {
  sourced_id: string;
  school_id: string;
  name: string;
}

/** The stored classes of the integration that are not among this run's classes: additions-only keeps them. */
async function keptClassNames(knex: Snapshot['knex'], integration: string, current: Set<string>): Promise<KeptClass[]> {
  const stored: KeptClass[] = await knex('roster_classes').where({ integration }).select('sourced_id', 'school_id', 'name');
  return stored.filter((c) => !current.has(c.sourced_id));
}

/**
 * Class names must be unique within a school. Every class in a colliding group gets its sourcedId appended,
 * so the result depends only on the group (stable from run to run, whatever order the SIS sends). Kept classes
 * (additions-only) keep the names the platform already shows; the current classes that collide with them move.
 */
export function disambiguate(named: { row: Pick<ClassRow, 'sourced_id' | 'school_id'>; name: string }[], kept: KeptClass[] = []): NameCollision[] {
  const groups = new Map<string, { current: { row: Pick<ClassRow, 'sourced_id' | 'school_id'>; name: string }[]; kept: KeptClass[] }>();
  const groupOf = (schoolId: string, name: string) => {
    const key = `${schoolId}\u0000${name.toLowerCase()}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { current: [], kept: [] }));
    return group;
  };
  for (const entry of named) groupOf(entry.row.school_id, entry.name).current.push(entry);
  for (const k of kept) groups.get(`${k.school_id}\u0000${k.name.toLowerCase()}`)?.kept.push(k);
  const collisions: NameCollision[] = [];
  for (const group of groups.values()) {
    if (group.current.length + group.kept.length < 2) continue;
    const first = group.current[0]!;
    const classIds = [...group.current.map((e) => e.row.sourced_id), ...group.kept.map((k) => k.sourced_id)].sort();
    collisions.push({ schoolId: first.row.school_id, name: first.name, classIds, ...(group.kept.length > 0 ? { keptIds: group.kept.map((k) => k.sourced_id).sort() } : {}) });
    for (const entry of group.current) entry.name = `${entry.name}-${entry.row.sourced_id}`;
  }
  return collisions;
}

/**
 * Rosterable users of one role: active, enabled, with an email, in a school in scope. The school is the
 * user's primary org when that is in scope, else the first in-scope org by id.
 */
async function buildUsers(snapshot: Snapshot, role: 'teacher' | 'student'): Promise<void> {
  const knex = snapshot.knex;
  const schoolOf = knex.raw(
    `COALESCE(
      (SELECT s.sourced_id FROM ?? s WHERE s.sourced_id = u.primary_org_id),
      (SELECT MIN(uo.org_id) FROM ?? uo JOIN ?? s2 ON s2.sourced_id = uo.org_id WHERE uo.user_id = u.sourced_id)
    )`,
    [snapshot.table('scope_schools'), snapshot.table('user_orgs'), snapshot.table('scope_schools')],
  );
  const candidates = knex({ u: snapshot.table('users') })
    .select('u.role', 'u.sourced_id', 'u.given_name', 'u.family_name', 'u.email', { school_id: schoolOf })
    .where({ 'u.status': 'active', 'u.enabled': 1, 'u.role': role })
    .whereNotNull('u.email')
    .andWhere('u.email', '<>', '');
  await knex
    .into(knex.raw('?? (role, sourced_id, given_name, family_name, email, school_id)', [snapshot.table('r_users')]))
    .insert(knex.select('*').from(candidates.as('x')).whereNotNull('x.school_id'));
}

/**
 * Memberships of one role: active enrollments current on `asOf`, whose class is in the roster (the staged
 * classes for the classes job, the store's classes for the students job) and whose user is rostered in that
 * role. A primary teacher comes first (position 0).
 */
async function buildMemberships(input: BuildInput, role: 'teacher' | 'student'): Promise<void> {
  const { snapshot, asOf } = input;
  const knex = snapshot.knex;
  // Joins, not IN (subquery): with IN, SQLite probes the (user_id, class_id) index once per class for every
  // user, which at 60,000 classes and 20,000 teachers is a billion probes.
  const current = knex({ e: snapshot.table('enrollments') })
    .join({ u: snapshot.table('r_users') }, (j) => j.on('u.sourced_id', 'e.user_id').andOn('u.role', 'e.role'))
    .join({ c: input.job === 'classes' ? snapshot.table('r_classes') : input.storeClasses!.table }, (j) => {
      j.on('c.sourced_id', 'e.class_id');
      if (input.job === 'students' && input.storeClasses!.integration !== null) j.andOnVal('c.integration', input.storeClasses!.integration);
    })
    .where({ 'e.status': 'active', 'e.role': role })
    .andWhere((q) => q.whereNull('e.begin_date').orWhere('e.begin_date', '<=', asOf))
    .andWhere((q) => q.whereNull('e.end_date').orWhere('e.end_date', '>=', asOf))
    .groupBy('e.role', 'e.class_id', 'e.user_id')
    .select('e.role', 'e.class_id', 'e.user_id', { is_primary: knex.raw('MAX(e.is_primary)'), position: knex.raw('1 - MAX(e.is_primary)') });
  await knex.into(knex.raw('?? (role, class_id, user_id, is_primary, position)', [snapshot.table('r_memberships')])).insert(current);
}
