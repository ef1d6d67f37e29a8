/**
 * The roster a Hāpara-style platform needs, as tables: the same columns in the store (with `integration`)
 * and in a snapshot's staged roster (without it). Which job owns which rows is declared here once, and the
 * builder, the diff and the exports all follow it.
 */

export type RosterKind = 'schools' | 'classes' | 'teachers' | 'students' | 'enrollments';
export type Job = 'classes' | 'students';

export interface RosterTable {
  kind: RosterKind;
  /** The store table; the snapshot's staged copy is named `r_<stagedName>`. */
  table: 'roster_schools' | 'roster_classes' | 'roster_users' | 'roster_memberships';
  staged: string;
  key: string[];
  /** Non-key columns: a change in any of them is an update. */
  values: string[];
  /** The rows a job owns inside a shared table, e.g. users with role teacher. */
  role?: 'teacher' | 'student';
}

const schools: RosterTable = { kind: 'schools', table: 'roster_schools', staged: 'r_schools', key: ['sourced_id'], values: ['name', 'identifier'] };
const classes: RosterTable = {
  kind: 'classes',
  table: 'roster_classes',
  staged: 'r_classes',
  key: ['sourced_id'],
  values: ['school_id', 'name', 'title', 'class_code', 'course_title', 'course_code', 'term_title', 'periods', 'folder_name'],
};
const users = (role: 'teacher' | 'student'): RosterTable => ({
  kind: role === 'teacher' ? 'teachers' : 'students',
  table: 'roster_users',
  staged: 'r_users',
  key: ['role', 'sourced_id'],
  values: ['given_name', 'family_name', 'email', 'school_id'],
  role,
});
const memberships = (role: 'teacher' | 'student'): RosterTable => ({
  kind: 'enrollments',
  table: 'roster_memberships',
  staged: 'r_memberships',
  key: ['role', 'class_id', 'user_id'],
  values: ['is_primary', 'position'],
  role,
});

/** Job `classes` owns schools, classes, their teachers and teacher memberships; job `students` owns students and their memberships. */
export const JOB_TABLES: Record<Job, RosterTable[]> = {
  classes: [schools, classes, users('teacher'), memberships('teacher')],
  students: [users('student'), memberships('student')],
};

/** Column lists of the staged roster tables (the store tables add `integration`). */
export const STAGED_COLUMNS: Record<string, { name: string; key?: boolean; integer?: boolean }[]> = {
  r_schools: [{ name: 'sourced_id', key: true }, { name: 'name' }, { name: 'identifier' }],
  r_classes: [
    { name: 'sourced_id', key: true }, { name: 'school_id' }, { name: 'name' }, { name: 'title' }, { name: 'class_code' },
    { name: 'course_title' }, { name: 'course_code' }, { name: 'term_title' }, { name: 'periods' }, { name: 'folder_name' },
  ],
  r_users: [{ name: 'role', key: true }, { name: 'sourced_id', key: true }, { name: 'given_name' }, { name: 'family_name' }, { name: 'email' }, { name: 'school_id' }],
  r_memberships: [
    { name: 'role', key: true }, { name: 'class_id', key: true }, { name: 'user_id', key: true },
    { name: 'is_primary', integer: true }, { name: 'position', integer: true },
  ],
};
