import type { Knex } from 'knex';
import { csvRow } from './csv.js';

/**
 * The three roster files, written page by page with keyset paging (never OFFSET, never the whole table), so a
 * district of 2.8 million enrollments streams through a bounded amount of memory. Each writer gets a
 * transaction, so all three files show the same moment of the store.
 */

export interface RowSink {
  write(text: string): Promise<void>;
}

export const CLASSES_HEADER = ['class_id', 'class_name', 'class_code', 'course', 'term', 'school_code', 'school_name', 'teacher_emails', 'student_count', 'folder_name'];
export const USERS_HEADER = ['user_id', 'role', 'given_name', 'family_name', 'email', 'school_code', 'school_name'];
export const ENROLLMENTS_HEADER = ['class_id', 'user_id', 'role'];

const PAGE = 1000; // classes (or users) per page; a page of enrollments is the memberships of that many classes

/** Teachers of a class in the order the platform shows them: primary first, then by position, then by id. */
const TEACHER_ORDER = ['m.class_id', { column: 'm.is_primary', order: 'desc' }, 'm.position', 'm.user_id'] as const;

interface ClassRow {
  sourced_id: string;
  name: string;
  class_code: string | null;
  course_title: string | null;
  term_title: string | null;
  school_id: string;
  school_name: string | null;
  folder_name: string | null;
}

/** classes.csv, ordered by class_id. */
export async function writeClasses(db: Knex.Transaction, integration: string, out: RowSink): Promise<number> {
  await out.write(csvRow(CLASSES_HEADER));
  let after: string | null = null;
  let count = 0;
  for (;;) {
    const query = db('roster_classes as c')
      .leftJoin('roster_schools as s', function joinSchool() {
        this.on('s.integration', '=', 'c.integration').andOn('s.sourced_id', '=', 'c.school_id');
      })
      .where('c.integration', integration)
      .select('c.sourced_id', 'c.name', 'c.class_code', 'c.course_title', 'c.term_title', 'c.school_id', 's.name as school_name', 'c.folder_name')
      .orderBy('c.sourced_id')
      .limit(PAGE);
    if (after !== null) query.where('c.sourced_id', '>', after);
    const classes = (await query) as ClassRow[];
    if (classes.length === 0) return count;
    const first = classes[0]!.sourced_id;
    const last = classes[classes.length - 1]!.sourced_id;

    const teacherEmails = new Map<string, string[]>();
    const teachers = (await db('roster_memberships as m')
      .join('roster_users as u', function joinTeacher() {
        this.on('u.integration', '=', 'm.integration').andOn('u.sourced_id', '=', 'm.user_id').andOnVal('u.role', '=', 'teacher');
      })
      .where({ 'm.integration': integration, 'm.role': 'teacher' })
      .whereBetween('m.class_id', [first, last])
      .select('m.class_id', 'u.email')
      .orderBy([...TEACHER_ORDER])) as Array<{ class_id: string; email: string }>;
    for (const t of teachers) {
      const list = teacherEmails.get(t.class_id);
      if (list) list.push(t.email);
      else teacherEmails.set(t.class_id, [t.email]);
    }

    const studentCounts = new Map<string, number>();
    const counted = (await db('roster_memberships')
      .where({ integration, role: 'student' })
      .whereBetween('class_id', [first, last])
      .groupBy('class_id')
      .select('class_id')
      .count({ n: '*' })) as Array<{ class_id: string; n: number | string }>;
    for (const row of counted) studentCounts.set(row.class_id, Number(row.n));

    let text = '';
    for (const c of classes) {
      text += csvRow([
        c.sourced_id,
        c.name,
        c.class_code,
        c.course_title,
        c.term_title,
        c.school_id,
        c.school_name,
        (teacherEmails.get(c.sourced_id) ?? []).join(';'),
        studentCounts.get(c.sourced_id) ?? 0,
        c.folder_name,
      ]);
    }
    await out.write(text);
    count += classes.length;
    after = last;
  }
}

interface UserRow {
  sourced_id: string;
  role: string;
  given_name: string;
  family_name: string;
  email: string;
  school_id: string;
  school_name: string | null;
}

/** users.csv: teachers, then students, each ordered by user_id (the order of the table's key). */
export async function writeUsers(db: Knex.Transaction, integration: string, out: RowSink): Promise<number> {
  await out.write(csvRow(USERS_HEADER));
  let count = 0;
  for (const role of ['teacher', 'student']) {
    let after: string | null = null;
    for (;;) {
      const query = db('roster_users as u')
        .leftJoin('roster_schools as s', function joinSchool() {
          this.on('s.integration', '=', 'u.integration').andOn('s.sourced_id', '=', 'u.school_id');
        })
        .where({ 'u.integration': integration, 'u.role': role })
        .select('u.sourced_id', 'u.role', 'u.given_name', 'u.family_name', 'u.email', 'u.school_id', 's.name as school_name')
        .orderBy('u.sourced_id')
        .limit(PAGE);
      if (after !== null) query.where('u.sourced_id', '>', after);
      const users = (await query) as UserRow[];
      if (users.length === 0) break;
      let text = '';
      for (const u of users) text += csvRow([u.sourced_id, u.role, u.given_name, u.family_name, u.email, u.school_id, u.school_name]);
      await out.write(text);
      count += users.length;
      after = users[users.length - 1]!.sourced_id;
    }
  }
  return count;
}

/**
 * enrollments.csv: one row per membership, ordered by class_id; within a class its teachers first (primary
 * first, as in classes.csv), then its students by user_id. Pages are whole classes, so a class never splits.
 */
export async function writeEnrollments(db: Knex.Transaction, integration: string, out: RowSink): Promise<number> {
  await out.write(csvRow(ENROLLMENTS_HEADER));
  let after: string | null = null;
  let count = 0;
  for (;;) {
    // Only memberships of classes the roster has: after a classes run deletes a class, its student memberships
    // wait in the store for the next students run, but the platform must never see members of a missing class.
    const idQuery = db('roster_classes').where({ integration }).distinct({ class_id: 'sourced_id' }).orderBy('sourced_id').limit(PAGE);
    if (after !== null) idQuery.where('sourced_id', '>', after);
    const ids = (await idQuery) as Array<{ class_id: string }>;
    if (ids.length === 0) return count;
    const last = ids[ids.length - 1]!.class_id;

    const rowsQuery = db('roster_memberships as m')
      .join('roster_classes as c', function joinClass() {
        this.on('c.integration', '=', 'm.integration').andOn('c.sourced_id', '=', 'm.class_id');
      })
      .where('m.integration', integration)
      .where('m.class_id', '<=', last)
      .select('m.class_id', 'm.user_id', 'm.role')
      .orderBy('m.class_id')
      .orderByRaw("case when m.role = 'teacher' then 0 else 1 end")
      .orderBy([{ column: 'm.is_primary', order: 'desc' }, 'm.position', 'm.user_id']);
    if (after !== null) rowsQuery.where('m.class_id', '>', after);
    const rows = (await rowsQuery) as Array<{ class_id: string; user_id: string; role: string }>;
    let text = '';
    for (const r of rows) text += csvRow([r.class_id, r.user_id, r.role]);
    await out.write(text);
    count += rows.length;
    after = last;
  }
}
