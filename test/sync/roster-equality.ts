import { join } from 'node:path';
import { expect } from 'vitest';
import type { ExpectedRoster } from '../../daemon/src/sim/index.js';
import { readCsv } from '../helpers/csv.js';

/**
 * Asserts that the three export files in `dir` are exactly the roster the simulated district says a correct
 * sync must produce (class names in the CourseName-Period format, folders with the given suffix).
 */
export async function expectExportsEqual(dir: string, expected: ExpectedRoster, options: { suffix: string; collidingClasses?: string[] }): Promise<void> {
  const classes = await readCsv(join(dir, 'classes.csv'));
  const users = await readCsv(join(dir, 'users.csv'));
  const enrollments = await readCsv(join(dir, 'enrollments.csv'));

  const emailOf = new Map(expected.users.map((u) => [u.sourcedId, u.email]));
  const schoolName = new Map(expected.schools.map((s) => [s.sourcedId, s.name]));
  const colliding = new Set(options.collidingClasses ?? []);
  const students = new Map<string, number>();
  for (const m of expected.memberships) if (m.role === 'student') students.set(m.classId, (students.get(m.classId) ?? 0) + 1);

  const expectedClasses = expected.classes.map((c) => {
    const base = [c.courseTitle || c.title, c.periods.join(',')].filter((p) => p !== '').join('-');
    const name = colliding.has(c.sourcedId) ? `${base}-${c.sourcedId}` : base;
    return {
      class_id: c.sourcedId,
      class_name: spreadsheetSafe(name),
      class_code: spreadsheetSafe(c.classCode),
      course: spreadsheetSafe(c.courseTitle),
      term: spreadsheetSafe(c.termTitle),
      school_code: c.schoolId,
      school_name: spreadsheetSafe(schoolName.get(c.schoolId) ?? ''),
      teacher_emails: spreadsheetSafe(c.teacherIds.map((id) => emailOf.get(id)).join(';')),
      student_count: String(students.get(c.sourcedId) ?? 0),
      folder_name: spreadsheetSafe(options.suffix ? `${name} ${options.suffix}` : name),
    };
  });
  expect(classes).toEqual(expectedClasses);

  const expectedUsers = [...expected.users]
    .sort((a, b) => cmp(a.role + a.sourcedId, b.role + b.sourcedId))
    .map((u) => ({
      user_id: u.sourcedId,
      role: u.role,
      given_name: spreadsheetSafe(u.givenName),
      family_name: spreadsheetSafe(u.familyName),
      email: spreadsheetSafe(u.email),
      school_code: u.schoolId,
      school_name: spreadsheetSafe(schoolName.get(u.schoolId) ?? ''),
    }));
  expect(sortBy(users, (u) => u.role! + u.user_id!)).toEqual(expectedUsers);

  const key = (m: { class_id?: string; user_id?: string; role?: string }) => `${m.class_id}|${m.user_id}|${m.role}`;
  expect(enrollments.map(key).sort()).toEqual(expected.memberships.map((m) => key({ class_id: m.classId, user_id: m.userId, role: m.role })).sort());
}

/** The OWASP guard the export applies: a leading ' before a cell that a spreadsheet would run as a formula. */
function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortBy<T>(rows: T[], key: (row: T) => string): T[] {
  return [...rows].sort((a, b) => cmp(key(a), key(b)));
}
