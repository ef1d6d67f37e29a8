import { describe, expect, test } from 'vitest';
import { District, SIZES } from '../../daemon/src/sim/index.js';
import { FIXED_TODAY } from './helpers.js';

const tiny = () => new District(SIZES.tiny, 7, FIXED_TODAY);

function everything(d: District) {
  const users = [...d.allUsers().slice(0, d.userCount)].map((i) => d.user(i));
  const classes = [...d.allClasses().slice(0, d.classCount)].map((i) => d.class(i));
  const enrollments = [...d.allEnrollments().slice(0, d.enrollmentCount)].map((i) => d.enrollment(i));
  return { users, classes, enrollments };
}

describe('generation', () => {
  test('is deterministic for a seed and size, and the seed matters', () => {
    expect(everything(tiny())).toEqual(everything(tiny()));
    expect(tiny().expected()).toEqual(tiny().expected());
    const other = new District(SIZES.tiny, 8, FIXED_TODAY);
    expect(everything(other).users.map((u) => u?.givenName)).not.toEqual(everything(tiny()).users.map((u) => u?.givenName));
  });

  test('sizes have the advertised counts', () => {
    const d = tiny();
    expect(d.mainSchools()).toHaveLength(2);
    expect(d.students().count).toBe(40 + 8); // plus the other district's school
    const max = new District(SIZES.max, 1, FIXED_TODAY);
    expect(max.mainSchools()).toHaveLength(120);
    expect(max.studentCount - 8).toBe(400_000);
    expect(max.teacherCount - 2).toBe(20_000);
    expect(max.classCount - 4 - 2).toBe(60_000);
    expect(max.enrollmentCount).toBeGreaterThan(2_800_000);
  });

  test('sourcedId order is index order', () => {
    const d = tiny();
    const ids = [...d.allEnrollments().slice(0, d.enrollmentCount)].map((i) => d.enrollment(i)?.sourcedId as string);
    expect([...ids].sort()).toEqual(ids);
    const users = [...d.allUsers().slice(0, d.userCount)].map((i) => d.user(i)?.sourcedId as string);
    expect([...users].sort()).toEqual(users);
  });

  test('terms and enrollment dates sit around today', () => {
    const d = tiny();
    const [year, past, current] = d.sessions;
    expect(year!.startDate <= FIXED_TODAY && FIXED_TODAY <= year!.endDate).toBe(true);
    expect(past!.endDate < FIXED_TODAY).toBe(true);
    expect(current!.startDate <= FIXED_TODAY && FIXED_TODAY <= current!.endDate).toBe(true);
  });
});

describe('awkward records', () => {
  const d = tiny();
  const a = d.awkward;
  const user = (id: string) => d.userById(id)!;
  const expected = d.expected(FIXED_TODAY);
  const userIds = new Set(expected.users.map((u) => u.sourcedId));
  const classIds = new Set(expected.classes.map((c) => c.sourcedId));
  const members = (classId: string, role: string) => expected.memberships.filter((m) => m.classId === classId && m.role === role).map((m) => m.userId);

  test('users: no email, macrons, apostrophes, formula, tobedeleted, disabled, duplicate email', () => {
    expect(user(a.studentWithoutEmail).email).toBe('');
    expect(expected.skippedUsers).toEqual([{ sourcedId: a.studentWithoutEmail, reason: 'missing-email' }]);
    expect(user(a.macronApostropheStudent)).toMatchObject({ givenName: 'Tāne', familyName: "O'Brien" });
    expect(user(a.macronStudent).givenName).toBe('Āwhina');
    expect(user(a.formulaNameStudent).familyName.startsWith('=')).toBe(true);
    expect(user(a.toBeDeletedUser).status).toBe('tobedeleted');
    expect(user(a.disabledUser).enabled).toBe(false);
    const [d1, d2] = a.duplicateEmailUsers;
    expect(user(d1).email).toBe(user(d2).email);
    for (const id of [a.studentWithoutEmail, a.toBeDeletedUser, a.disabledUser]) expect(userIds.has(id)).toBe(false);
    for (const id of [a.macronApostropheStudent, a.formulaNameStudent, d1, d2]) expect(userIds.has(id)).toBe(true);
  });

  test('classes: tobedeleted, without teacher, without students, co-taught, colliding names', () => {
    expect(d.class(Number(a.toBeDeletedClass.slice(4)))!.status).toBe('tobedeleted');
    expect(classIds.has(a.toBeDeletedClass)).toBe(false);
    expect(members(a.classWithoutTeacher, 'teacher')).toEqual([]);
    expect(members(a.classWithoutTeacher, 'student').length).toBeGreaterThan(0);
    expect(members(a.classWithoutStudents, 'student')).toEqual([]);
    expect(members(a.classWithoutStudents, 'teacher')).toHaveLength(1);
    expect(expected.classes.find((c) => c.sourcedId === a.coTaughtClass)!.teacherIds).toEqual([a.primaryTeacher, a.coTeacher]);
    const [c1, c2] = a.collidingClasses.map((id) => expected.classes.find((c) => c.sourcedId === id)!);
    expect(c1!.courseTitle).toBe(c2!.courseTitle);
    expect(c1!.periods).toEqual(c2!.periods);
    expect(c1!.schoolId).toBe(c2!.schoolId);
    // Only the planted pair collides under CourseName-Period.
    const names = expected.classes.map((c) => `${c.schoolId}|${c.courseTitle}-${c.periods.join(',')}`);
    expect(names.length - new Set(names).size).toBe(1);
  });

  test('enrollments: ended, future, tobedeleted, missing user, teacher also a student, past term', () => {
    const e = (id: string) => d.enrollment(Number(id.slice(4)))!;
    expect(e(a.endedEnrollment).endDate! < FIXED_TODAY).toBe(true);
    expect(e(a.futureEnrollment!).beginDate! > FIXED_TODAY).toBe(true);
    expect(e(a.toBeDeletedEnrollment).status).toBe('tobedeleted');
    expect(e(a.missingUserEnrollment).userId).toBe(a.missingUserId);
    expect(d.userById(a.missingUserId)).toBeNull();
    for (const id of [a.endedEnrollment, a.futureEnrollment!, a.toBeDeletedEnrollment]) {
      const en = e(id);
      expect(expected.memberships.some((m) => m.classId === en.classId && m.userId === en.userId)).toBe(false);
    }
    expect(members(a.teacherAlsoStudentClass, 'teacher')).toContain(a.teacherAlsoStudent);
    // Their student enrollment in their own class is served, but only the teacher membership is rostered.
    expect(e(a.teacherAsStudentEnrollment).role).toBe('student');
    expect(members(a.teacherAlsoStudentClass, 'student')).not.toContain(a.teacherAlsoStudent);
    expect(classIds.has(a.pastTermClass)).toBe(true);
    expect(expected.memberships.filter((m) => m.classId === a.pastTermClass)).toEqual([]);
    // Asked on a day inside the past term, the past-term class has its people.
    const then = d.expected(d.pastTerm.end);
    expect(then.memberships.filter((m) => m.classId === a.pastTermClass && m.role === 'student').length).toBe(3);
  });

  test('the other district never leaks into the main one', () => {
    expect(d.org(a.otherDistrictSchool)!.parentId).toBe(a.otherDistrictId);
    expect(expected.schools.map((s) => s.sourcedId)).not.toContain(a.otherDistrictSchool);
    for (const id of a.otherDistrictUsers) expect(userIds.has(id)).toBe(false);
    for (const id of a.otherDistrictClasses) expect(classIds.has(id)).toBe(false);
    expect(a.otherDistrictUsers.length).toBeGreaterThan(0);
    const foreign = d.expectedForSchool(a.otherDistrictSchool, FIXED_TODAY);
    expect(foreign.users.map((u) => u.sourcedId).sort()).toEqual([...a.otherDistrictUsers].sort());
  });

  test('expectedForSchool is the school slice of the district', () => {
    const [s1, s2] = d.schoolIds();
    const one = d.expectedForSchool(s1!, FIXED_TODAY);
    const two = d.expectedForSchool(s2!, FIXED_TODAY);
    expect(one.users.length + two.users.length).toBe(expected.users.length);
    expect(one.memberships.length + two.memberships.length).toBe(expected.memberships.length);
    expect(one.classes.every((c) => c.schoolId === s1)).toBe(true);
  });
});

describe('mutations', () => {
  test('remove, rename and mark tobedeleted, deterministically, and reversible', () => {
    const d = tiny();
    const before = d.expected(FIXED_TODAY);
    const effect = d.setMutation({ removeStudents: 2, removeEnrollments: 2, renameCourses: 1, renameUsers: 1, markToBeDeleted: { users: 1, classes: 1, enrollments: 1 } });
    expect(effect.removedStudents).toHaveLength(2);
    expect(effect).toEqual(tiny().setMutation({ removeStudents: 2, removeEnrollments: 2, renameCourses: 1, renameUsers: 1, markToBeDeleted: { users: 1, classes: 1, enrollments: 1 } }));
    const after = d.expected(FIXED_TODAY);
    const ids = new Set(after.users.map((u) => u.sourcedId));
    for (const id of [...effect.removedStudents, ...effect.toBeDeleted.users]) expect(ids.has(id)).toBe(false);
    expect(d.userById(effect.removedStudents[0]!)).toBeNull();
    expect(d.allUsers().count).toBe(tiny().allUsers().count - 2);
    expect(after.classes.map((c) => c.sourcedId)).not.toContain(effect.toBeDeleted.classes[0]);
    const renamed = after.users.find((u) => u.sourcedId === effect.renamedUsers[0]);
    expect(renamed!.familyName.endsWith('-Renamed')).toBe(true);
    expect(after.classes.some((c) => c.courseTitle.endsWith('(renamed)'))).toBe(true);
    expect(after.memberships.length).toBeLessThan(before.memberships.length);
    for (const id of effect.removedEnrollments) expect(d.enrollment(Number(id.slice(4)))).toBeNull();
    d.setMutation({});
    expect(d.expected(FIXED_TODAY)).toEqual(before);
  });
});

describe('the largest district is lazy', () => {
  test('a late enrollment and the ground truth of one school come without materialising the district', () => {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const max = new District(SIZES.max, 1, FIXED_TODAY);
    const late = max.enrollment(max.enrollmentCount - 100);
    const page = [...max.allEnrollments().slice(2_700_000, 2_701_000)].map((i) => max.enrollment(i));
    const elapsed = performance.now() - t0;
    expect(late).not.toBeNull();
    expect(page).toHaveLength(1000);
    expect(page[0]!.sourcedId).toBe('enr-02700000');
    expect(elapsed).toBeLessThan(2000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    // Class membership is found arithmetically: every student enrollment of a class points back at it.
    const classIndex = 30_000;
    for (const ei of max.enrollmentsOfClass(classIndex)) expect(max.enrollment(ei)!.classId).toBe('cls-030000');
    expect(max.enrollmentsOfClass(classIndex).length).toBeGreaterThan(30);
  });
});
