/**
 * The simulated district: its layout (how many of each record, which index belongs to which school) and the
 * functions that build any one record from its index. Nothing here holds a collection; the largest district is a
 * few hundred school blocks plus the small tables of awkward records and mutations.
 *
 * Index layout (sourcedId order = index order, see ids.ts):
 *   users:       teachers of every school, school by school, then students of every school, school by school
 *   classes:     per school: its regular classes, then (school 1 only) the special classes
 *   courses:     per school block
 *   enrollments: block A = one primary-teacher enrollment per class (index = class index);
 *                block B = per school, students x classesPerStudent;
 *                block C = a short explicit list of extra enrollments (co-teacher, teacher-as-student, ...)
 */
import { addDays, emailPart, FAMILY_NAMES, GIVEN_NAMES, hash, pick, SALT, SCHOOL_NAMES, SUBJECTS } from './names.js';
import {
  CURRENT_TERM_ID, MAIN_DISTRICT_ID, makeId, MISSING_USER_ID, OTHER_DISTRICT_ID, parseId, PAST_TERM_ID, SCHOOL_YEAR_ID,
} from './ids.js';
import { IndexView } from './views.js';
import { expectedRoster, type ExpectedRoster } from './expected.js';

export interface DistrictSize {
  schools: number;
  students: number;
  teachers: number;
  classes: number;
  classesPerStudent: number;
}

export type SizeName = 'tiny' | 'small' | 'medium' | 'large' | 'max';

export const SIZES: Record<SizeName, DistrictSize> = {
  tiny: { schools: 2, students: 40, teachers: 6, classes: 8, classesPerStudent: 3 },
  small: { schools: 3, students: 600, teachers: 30, classes: 90, classesPerStudent: 5 },
  medium: { schools: 8, students: 8_000, teachers: 400, classes: 1_200, classesPerStudent: 7 },
  large: { schools: 40, students: 100_000, teachers: 5_000, classes: 15_000, classesPerStudent: 7 },
  max: { schools: 120, students: 400_000, teachers: 20_000, classes: 60_000, classesPerStudent: 7 },
};

/** The other district's one school: small and fixed, it only has to exist (and never leak into the main district). */
const FOREIGN_SCHOOL = { students: 8, teachers: 2, classes: 2, classesPerStudent: 2 };

/** Special classes of the first school, after its regular ones. */
const SPECIAL = { noTeacher: 0, noStudents: 1, toBeDeleted: 2, pastTerm: 3 } as const;
const SPECIAL_COUNT = 4;

export type Status = 'active' | 'tobedeleted';

export interface SimOrg {
  sourcedId: string; status: Status; modified: string; name: string; type: 'district' | 'school';
  identifier: string; parentId: string | null; childIds: string[];
}
export interface SimSession {
  sourcedId: string; status: Status; modified: string; title: string; type: 'schoolYear' | 'term';
  startDate: string; endDate: string; parentId: string | null; childIds: string[]; schoolYear: string;
}
export interface SimCourse {
  index: number; sourcedId: string; status: Status; modified: string; title: string; courseCode: string; schoolId: string;
}
export interface SimClass {
  index: number; sourcedId: string; status: Status; modified: string; title: string; classCode: string;
  classType: 'scheduled' | 'homeroom'; courseId: string; schoolId: string; termIds: string[]; periods: string[]; location: string;
}
export interface SimUser {
  index: number; sourcedId: string; status: Status; modified: string; enabled: boolean; givenName: string; familyName: string;
  /** '' when the user has none. */
  email: string; username: string; identifier: string; role: 'student' | 'teacher'; schoolId: string; grade: string | null;
}
export interface SimEnrollment {
  index: number; sourcedId: string; status: Status; modified: string; userId: string; classId: string; schoolId: string;
  role: 'student' | 'teacher'; primary: boolean; beginDate: string | null; endDate: string | null;
}

/** How a test changes the district between syncs. Each call of setMutation replaces the previous one (relative to the generated district). */
export interface Mutation {
  /** Remove N students (and their enrollments) from every collection. */
  removeStudents?: number;
  /** Remove N student enrollments. */
  removeEnrollments?: number;
  /** Append " (renamed)" to N course titles. */
  renameCourses?: number;
  /** Change N students' family names. */
  renameUsers?: number;
  /** Keep N records of each kind but mark them tobedeleted. */
  markToBeDeleted?: { users?: number; classes?: number; enrollments?: number };
}

/** What a mutation touched, by sourcedId, so a test can check each change flowed through. */
export interface MutationEffect {
  removedStudents: string[];
  removedEnrollments: string[];
  renamedCourses: string[];
  renamedUsers: string[];
  toBeDeleted: { users: string[]; classes: string[]; enrollments: string[] };
}

interface SchoolBlock {
  index: number;
  sourcedId: string;
  districtId: string;
  name: string;
  identifier: string;
  tStart: number; nT: number;
  /** Global user index of the first student. */
  sStart: number; nS: number;
  cStart: number; nReg: number; nSpecial: number;
  coStart: number; nCo: number;
  ebStart: number; k: number; step: number;
}

interface ExtraEnrollment {
  userId: string; classIndex: number; role: 'student' | 'teacher'; primary: boolean;
  beginDate: string | null; endDate: string | null;
}

export interface AwkwardIds {
  studentWithoutEmail: string;
  macronApostropheStudent: string;
  macronStudent: string;
  formulaNameStudent: string;
  toBeDeletedUser: string;
  disabledUser: string;
  duplicateEmailUsers: [string, string];
  teacherAlsoStudent: string;
  primaryTeacher: string;
  coTeacher: string;
  toBeDeletedClass: string;
  classWithoutTeacher: string;
  classWithoutStudents: string;
  pastTermClass: string;
  coTaughtClass: string;
  collidingClasses: [string, string];
  teacherAlsoStudentClass: string;
  toBeDeletedEnrollment: string;
  endedEnrollment: string;
  futureEnrollment: string | null;
  missingUserEnrollment: string;
  missingUserId: string;
  teacherAsStudentEnrollment: string;
  coTeacherEnrollment: string;
  /** A user of the other district enrolled in a class of this one. */
  outOfScopeUser: string;
  outOfScopeEnrollment: string;
  otherDistrictId: string;
  otherDistrictSchool: string;
  otherDistrictUsers: string[];
  otherDistrictClasses: string[];
}

export function validateSize(size: DistrictSize): void {
  const perSchool = (n: number) => Math.floor(n / size.schools);
  const problems: string[] = [];
  if (!Number.isInteger(size.schools) || size.schools < 1) problems.push('schools must be >= 1');
  if (perSchool(size.students) < 20) problems.push('students must be >= 20 per school');
  if (perSchool(size.teachers) < 3) problems.push('teachers must be >= 3 per school');
  if (perSchool(size.classes) < 4) problems.push('classes must be >= 4 per school');
  if (size.classesPerStudent < 1 || size.classesPerStudent > perSchool(size.classes)) {
    problems.push('classesPerStudent must be between 1 and the classes per school');
  }
  if (size.students + size.teachers > 9_000_000 || size.classes > 900_000) problems.push('too large for the id widths');
  if (problems.length > 0) throw new Error(`invalid district size: ${problems.join('; ')}`);
}

function split(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

export class District {
  readonly size: DistrictSize;
  readonly seed: number;
  readonly today: string;
  readonly orgId = MAIN_DISTRICT_ID;
  readonly schools: SchoolBlock[] = [];
  readonly teacherCount: number;
  readonly studentCount: number;
  readonly classCount: number;
  readonly courseCount: number;
  readonly blockBEnd: number;
  readonly extras: ExtraEnrollment[] = [];
  readonly awkward: AwkwardIds;
  readonly sessions: SimSession[];
  readonly yearStart: string;
  readonly yearEnd: string;
  readonly pastTerm: { start: string; end: string };
  readonly currentTerm: { start: string; end: string };

  // Per-record overrides of the generated district (awkward records), then of the current mutation.
  private readonly userOverrides = new Map<number, Partial<SimUser>>();
  private readonly enrollmentOverrides = new Map<number, Partial<SimEnrollment>>();
  private readonly classOverrides = new Map<number, Partial<SimClass>>();
  private mutation: MutationState = emptyMutation();
  private mutationVersion = 0;

  constructor(size: DistrictSize, seed: number, today: string) {
    validateSize(size);
    this.size = size;
    this.seed = seed >>> 0;
    this.today = today;

    // Calendar relative to today, so tests keep passing as the real calendar moves.
    this.yearStart = addDays(today, -150);
    this.yearEnd = addDays(today, 200);
    this.pastTerm = { start: this.yearStart, end: addDays(today, -20) };
    this.currentTerm = { start: addDays(today, -19), end: this.yearEnd };
    const schoolYear = this.yearEnd.slice(0, 4);
    this.sessions = [
      { sourcedId: SCHOOL_YEAR_ID, status: 'active', modified: this.baseModified(0, 0), title: `${this.yearStart.slice(0, 4)}-${schoolYear} School Year`, type: 'schoolYear', startDate: this.yearStart, endDate: this.yearEnd, parentId: null, childIds: [PAST_TERM_ID, CURRENT_TERM_ID], schoolYear },
      { sourcedId: PAST_TERM_ID, status: 'active', modified: this.baseModified(0, 1), title: 'Semester 1', type: 'term', startDate: this.pastTerm.start, endDate: this.pastTerm.end, parentId: SCHOOL_YEAR_ID, childIds: [], schoolYear },
      { sourcedId: CURRENT_TERM_ID, status: 'active', modified: this.baseModified(0, 2), title: 'Semester 2', type: 'term', startDate: this.currentTerm.start, endDate: this.currentTerm.end, parentId: SCHOOL_YEAR_ID, childIds: [], schoolYear },
    ];

    // School blocks: the main district's schools, then the other district's one school.
    const n = size.schools;
    let tStart = 0, sLocal = 0, cStart = 0, coStart = 0;
    const plan = [];
    for (let i = 0; i <= n; i++) {
      const foreign = i === n;
      const nT = foreign ? FOREIGN_SCHOOL.teachers : split(size.teachers, n, i);
      const nS = foreign ? FOREIGN_SCHOOL.students : split(size.students, n, i);
      const nReg = foreign ? FOREIGN_SCHOOL.classes : split(size.classes, n, i);
      const k = foreign ? FOREIGN_SCHOOL.classesPerStudent : Math.min(size.classesPerStudent, nReg);
      plan.push({ i, foreign, nT, nS, nReg, k });
    }
    const teacherCount = plan.reduce((a, p) => a + p.nT, 0);
    for (const p of plan) {
      const nSpecial = p.i === 0 ? SPECIAL_COUNT : 0;
      const nCo = Math.max(1, Math.ceil(p.nReg / 3));
      const nameBase = SCHOOL_NAMES[p.i % SCHOOL_NAMES.length] as string;
      const round = Math.floor(p.i / SCHOOL_NAMES.length);
      this.schools.push({
        index: p.i,
        sourcedId: makeId('school', p.i + 1),
        districtId: p.foreign ? OTHER_DISTRICT_ID : MAIN_DISTRICT_ID,
        name: p.foreign ? 'Te Kura o Waho (other district)' : `${nameBase}${round > 0 ? ` ${round + 1}` : ''} ${p.i % 3 === 2 ? 'Primary' : 'High School'}`,
        identifier: p.foreign ? 'OD-001' : `SCH${String(p.i + 1).padStart(3, '0')}`,
        tStart, nT: p.nT,
        sStart: teacherCount + sLocal, nS: p.nS,
        cStart, nReg: p.nReg, nSpecial,
        coStart, nCo,
        ebStart: 0, k: p.k, step: Math.max(1, Math.floor(p.nReg / p.k)),
      });
      tStart += p.nT; sLocal += p.nS; cStart += p.nReg + nSpecial; coStart += nCo;
    }
    this.teacherCount = teacherCount;
    this.studentCount = sLocal;
    this.classCount = cStart;
    this.courseCount = coStart;
    let eb = this.classCount;
    for (const s of this.schools) {
      s.ebStart = eb;
      eb += s.nS * s.k;
    }
    this.blockBEnd = eb;
    this.awkward = this.placeAwkward();
  }

  // ---- awkward records -------------------------------------------------------------------------------------------

  private placeAwkward(): AwkwardIds {
    const s0 = this.schools[0] as SchoolBlock;
    const foreign = this.schools[this.schools.length - 1] as SchoolBlock;
    const student = (local: number) => s0.sStart + local;
    const teacher = (local: number) => s0.tStart + (local % s0.nT);
    const special = (which: number) => s0.cStart + s0.nReg + which;
    const uid = (i: number) => makeId('user', i);
    const cid = (i: number) => makeId('class', i);

    this.userOverrides.set(student(0), { email: '' });
    this.userOverrides.set(student(1), { givenName: 'Tāne', familyName: "O'Brien" });
    this.userOverrides.set(student(2), { givenName: 'Āwhina', familyName: 'Te Whāiti-Pōmare' });
    this.userOverrides.set(student(3), { givenName: 'Eve', familyName: '=HYPERLINK("http://attacker.invalid/x","click me")' });
    this.userOverrides.set(student(4), { status: 'tobedeleted' });
    this.userOverrides.set(student(5), { enabled: false });
    const dup = this.userRaw(student(16));
    this.userOverrides.set(student(17), { email: dup.email });

    // Classes 1 and 2 of the first school: same course and same period, so CourseName-Period collides.
    const c1 = this.classRaw(s0.cStart + 1);
    this.classOverrides.set(s0.cStart + 2, { courseId: c1.courseId, periods: [...c1.periods], title: `${c1.title} (group B)`, classCode: `${c1.classCode}B` });
    this.classOverrides.set(special(SPECIAL.toBeDeleted), { status: 'tobedeleted' });

    // Enrollment overrides in block B (student s, j-th class) and block A (the class's teacher slot).
    const eb = (local: number, j: number) => s0.ebStart + local * s0.k + j;
    this.enrollmentOverrides.set(eb(6, 0), { endDate: addDays(this.today, -3) });
    const future = s0.k >= 2 ? eb(6, 1) : null;
    if (future !== null) this.enrollmentOverrides.set(future, { beginDate: addDays(this.today, 7) });
    this.enrollmentOverrides.set(eb(8, 0), { status: 'tobedeleted' });
    // The class without a teacher: its teacher slot holds a student instead.
    this.enrollmentOverrides.set(special(SPECIAL.noTeacher), { userId: uid(student(13)), role: 'student', primary: false });
    this.enrollmentOverrides.set(special(SPECIAL.pastTerm), { beginDate: this.pastTerm.start, endDate: this.pastTerm.end });

    const extra = (e: ExtraEnrollment) => {
      this.extras.push(e);
      return makeId('enrollment', this.blockBEnd + this.extras.length - 1);
    };
    const current = { beginDate: this.currentTerm.start, endDate: this.currentTerm.end };
    const coTeacherEnrollment = extra({ userId: uid(teacher(1)), classIndex: s0.cStart, role: 'teacher', primary: false, ...current });
    const teacherAsStudentEnrollment = extra({ userId: uid(teacher(3)), classIndex: s0.cStart + 3, role: 'student', primary: false, ...current });
    const missingUserEnrollment = extra({ userId: MISSING_USER_ID, classIndex: s0.cStart, role: 'student', primary: false, ...current });
    // A student of the other district enrolled in one of this district's classes: in no school in scope.
    const outOfScopeEnrollment = extra({ userId: uid(foreign.sStart), classIndex: s0.cStart, role: 'student', primary: false, ...current });
    for (const local of [10, 11, 12]) extra({ userId: uid(student(local)), classIndex: special(SPECIAL.noTeacher), role: 'student', primary: false, ...current });
    for (const local of [10, 11]) extra({ userId: uid(student(local)), classIndex: special(SPECIAL.toBeDeleted), role: 'student', primary: false, ...current });
    for (const local of [12, 13, 14]) extra({ userId: uid(student(local)), classIndex: special(SPECIAL.pastTerm), role: 'student', primary: false, beginDate: this.pastTerm.start, endDate: this.pastTerm.end });

    const foreignUsers: string[] = [];
    for (let i = 0; i < foreign.nT; i++) foreignUsers.push(uid(foreign.tStart + i));
    for (let i = 0; i < foreign.nS; i++) foreignUsers.push(uid(foreign.sStart + i));
    const foreignClasses: string[] = [];
    for (let i = 0; i < foreign.nReg; i++) foreignClasses.push(cid(foreign.cStart + i));

    return {
      studentWithoutEmail: uid(student(0)),
      macronApostropheStudent: uid(student(1)),
      macronStudent: uid(student(2)),
      formulaNameStudent: uid(student(3)),
      toBeDeletedUser: uid(student(4)),
      disabledUser: uid(student(5)),
      duplicateEmailUsers: [uid(student(16)), uid(student(17))],
      teacherAlsoStudent: uid(teacher(3)),
      primaryTeacher: uid(teacher(0)),
      coTeacher: uid(teacher(1)),
      toBeDeletedClass: cid(special(SPECIAL.toBeDeleted)),
      classWithoutTeacher: cid(special(SPECIAL.noTeacher)),
      classWithoutStudents: cid(special(SPECIAL.noStudents)),
      pastTermClass: cid(special(SPECIAL.pastTerm)),
      coTaughtClass: cid(s0.cStart),
      collidingClasses: [cid(s0.cStart + 1), cid(s0.cStart + 2)],
      teacherAlsoStudentClass: cid(s0.cStart + 3),
      toBeDeletedEnrollment: makeId('enrollment', eb(8, 0)),
      endedEnrollment: makeId('enrollment', eb(6, 0)),
      futureEnrollment: future === null ? null : makeId('enrollment', future),
      missingUserEnrollment,
      missingUserId: MISSING_USER_ID,
      teacherAsStudentEnrollment,
      coTeacherEnrollment,
      outOfScopeUser: uid(foreign.sStart),
      outOfScopeEnrollment,
      otherDistrictId: OTHER_DISTRICT_ID,
      otherDistrictSchool: foreign.sourcedId,
      otherDistrictUsers: foreignUsers,
      otherDistrictClasses: foreignClasses,
    };
  }

  // ---- counts and lookups ---------------------------------------------------------------------------------------

  get userCount(): number {
    return this.teacherCount + this.studentCount;
  }
  get enrollmentCount(): number {
    return this.blockBEnd + this.extras.length;
  }

  mainSchools(): SchoolBlock[] {
    return this.schools.filter((s) => s.districtId === MAIN_DISTRICT_ID);
  }

  schoolById(id: string): SchoolBlock | undefined {
    const i = parseId('school', id);
    return i === null ? undefined : this.schools[i - 1];
  }

  private schoolOfTeacher(i: number): SchoolBlock {
    return this.findBlock((s) => s.tStart, i);
  }
  private schoolOfStudent(i: number): SchoolBlock {
    return this.findBlock((s) => s.sStart, i);
  }
  schoolOfClass(i: number): SchoolBlock {
    return this.findBlock((s) => s.cStart, i);
  }
  private schoolOfCourse(i: number): SchoolBlock {
    return this.findBlock((s) => s.coStart, i);
  }
  private schoolOfBlockB(i: number): SchoolBlock {
    return this.findBlock((s) => s.ebStart, i);
  }
  /** The last school whose block starts at or before i (blocks are in index order). */
  private findBlock(start: (s: SchoolBlock) => number, i: number): SchoolBlock {
    let lo = 0, hi = this.schools.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (start(this.schools[mid] as SchoolBlock) <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.schools[lo] as SchoolBlock;
  }

  private baseModified(kind: number, index: number): string {
    const minutes = hash(this.seed, SALT.modified + kind * 16, index) % (100 * 24 * 60);
    return new Date(Date.parse(`${this.yearStart}T00:00:00Z`) + minutes * 60_000).toISOString();
  }
  private mutatedModified(): string {
    return new Date(Date.parse(`${this.today}T00:00:00Z`) - 3_600_000 + this.mutationVersion * 1000).toISOString();
  }

  // ---- records from indices (null when the index is not a record, or was removed) -----------------------------

  orgs(): SimOrg[] {
    const main = this.mainSchools();
    const foreign = this.schools[this.schools.length - 1] as SchoolBlock;
    const out: SimOrg[] = [
      { sourcedId: MAIN_DISTRICT_ID, status: 'active', modified: this.baseModified(1, 0), name: 'Kōwhai Valley School District', type: 'district', identifier: 'KVSD', parentId: null, childIds: main.map((s) => s.sourcedId) },
      { sourcedId: OTHER_DISTRICT_ID, status: 'active', modified: this.baseModified(1, 1), name: 'Other Valley District', type: 'district', identifier: 'OVD', parentId: null, childIds: [foreign.sourcedId] },
    ];
    for (const s of this.schools) {
      out.push({ sourcedId: s.sourcedId, status: 'active', modified: this.baseModified(1, s.index + 2), name: s.name, type: 'school', identifier: s.identifier, parentId: s.districtId, childIds: [] });
    }
    return out;
  }

  org(id: string): SimOrg | null {
    return this.orgs().find((o) => o.sourcedId === id) ?? null;
  }

  session(id: string): SimSession | null {
    return this.sessions.find((s) => s.sourcedId === id) ?? null;
  }

  course(i: number): SimCourse | null {
    if (!Number.isInteger(i) || i < 0 || i >= this.courseCount) return null;
    const school = this.schoolOfCourse(i);
    const local = i - school.coStart;
    const [subject, code] = SUBJECTS[local % SUBJECTS.length] as readonly [string, string];
    const level = 7 + (Math.floor(local / SUBJECTS.length) % 7);
    const round = Math.floor(local / (SUBJECTS.length * 7));
    const renamed = this.mutation.renamedCourses.has(i);
    return {
      index: i,
      sourcedId: makeId('course', i),
      status: 'active',
      modified: renamed ? this.mutatedModified() : this.baseModified(2, i),
      title: `${subject} ${level}${round > 0 ? ` ${String.fromCharCode(65 + round)}` : ''}${renamed ? ' (renamed)' : ''}`,
      courseCode: `${code}${level}${round > 0 ? String.fromCharCode(65 + round) : ''}-${school.identifier}`,
      schoolId: school.sourcedId,
    };
  }

  private classRaw(i: number): SimClass {
    const school = this.schoolOfClass(i);
    const local = i - school.cStart;
    const modified = this.baseModified(3, i);
    if (local >= school.nReg) {
      const which = local - school.nReg;
      const course = this.course(school.coStart) as SimCourse;
      const label = ['Study Support', 'Library Club', 'Exam Prep', 'Semester 1 Tutorial'][which] as string;
      return {
        index: i, sourcedId: makeId('class', i), status: 'active', modified, title: `${course.title} ${label}`,
        classCode: `${course.courseCode}-X${which + 1}`, classType: 'scheduled', courseId: course.sourcedId, schoolId: school.sourcedId,
        termIds: [which === SPECIAL.pastTerm ? PAST_TERM_ID : CURRENT_TERM_ID], periods: [String.fromCharCode(65 + which)], location: `Room X${which + 1}`,
      };
    }
    const courseLocal = local % school.nCo;
    const period = String((Math.floor(local / school.nCo) % 8) + 1);
    const course = this.course(school.coStart + courseLocal) as SimCourse;
    return {
      index: i, sourcedId: makeId('class', i), status: 'active', modified,
      title: `${course.title} (Period ${period})`,
      classCode: `${course.courseCode}-${local + 1}`,
      classType: local % 10 === 9 ? 'homeroom' : 'scheduled',
      courseId: course.sourcedId, schoolId: school.sourcedId,
      // Every fourth class runs all year: it names the school year too.
      termIds: local % 4 === 3 ? [CURRENT_TERM_ID, SCHOOL_YEAR_ID] : [CURRENT_TERM_ID],
      periods: local % 5 === 4 ? [period, String(((Number(period) + 3) % 8) + 1)] : [period],
      location: `Room ${100 + (local % 40)}`,
    };
  }

  class(i: number): SimClass | null {
    if (!Number.isInteger(i) || i < 0 || i >= this.classCount) return null;
    const c = { ...this.classRaw(i), ...this.classOverrides.get(i) };
    if (this.mutation.tbdClasses.has(i)) {
      c.status = 'tobedeleted';
      c.modified = this.mutatedModified();
    }
    return c;
  }

  private userRaw(i: number): SimUser {
    const isTeacher = i < this.teacherCount;
    const school = isTeacher ? this.schoolOfTeacher(i) : this.schoolOfStudent(i);
    const givenName = pick(GIVEN_NAMES, this.seed, SALT.given, i);
    const familyName = pick(FAMILY_NAMES, this.seed, SALT.family, i);
    const domain = school.districtId === MAIN_DISTRICT_ID ? 'kvsd.example' : 'ovd.example';
    const local = `${emailPart(givenName)}.${emailPart(familyName)}${i}`;
    return {
      index: i,
      sourcedId: makeId('user', i),
      status: 'active',
      modified: this.baseModified(4, i),
      enabled: true,
      givenName,
      familyName,
      email: isTeacher ? `${local}@staff.${domain}` : `${local}@students.${domain}`,
      username: local,
      identifier: isTeacher ? `T${i}` : `S${i}`,
      role: isTeacher ? 'teacher' : 'student',
      schoolId: school.sourcedId,
      grade: isTeacher ? null : String(7 + (hash(this.seed, SALT.grade, i) % 7)).padStart(2, '0'),
    };
  }

  user(i: number): SimUser | null {
    if (!Number.isInteger(i) || i < 0 || i >= this.userCount || this.mutation.removedUsers.has(i)) return null;
    const u = { ...this.userRaw(i), ...this.userOverrides.get(i) };
    if (this.mutation.renamedUsers.has(i)) {
      u.familyName = `${u.familyName}-Renamed`;
      u.modified = this.mutatedModified();
    }
    if (this.mutation.tbdUsers.has(i)) {
      u.status = 'tobedeleted';
      u.modified = this.mutatedModified();
    }
    return u;
  }

  userById(id: string): SimUser | null {
    const i = parseId('user', id);
    return i === null ? null : this.user(i);
  }

  private enrollmentRaw(i: number): SimEnrollment {
    const sourcedId = makeId('enrollment', i);
    const modified = this.baseModified(5, i);
    if (i < this.classCount) {
      const school = this.schoolOfClass(i);
      const local = i - school.cStart;
      const teacherLocal = local < school.nReg ? local % school.nT : (local - school.nReg) % school.nT;
      return {
        index: i, sourcedId, status: 'active', modified, userId: makeId('user', school.tStart + teacherLocal),
        classId: makeId('class', i), schoolId: school.sourcedId, role: 'teacher', primary: true,
        beginDate: this.currentTerm.start, endDate: this.currentTerm.end,
      };
    }
    if (i < this.blockBEnd) {
      const school = this.schoolOfBlockB(i);
      const offset = i - school.ebStart;
      const studentLocal = Math.floor(offset / school.k);
      const j = offset % school.k;
      const classLocal = (studentLocal + j * school.step) % school.nReg;
      // Vary the optional dates as vendors do: some enrollments are open-ended or carry no begin date.
      const h = hash(this.seed, SALT.openEnd, i);
      return {
        index: i, sourcedId, status: 'active', modified, userId: makeId('user', school.sStart + studentLocal),
        classId: makeId('class', school.cStart + classLocal), schoolId: school.sourcedId, role: 'student', primary: false,
        beginDate: h % 7 === 0 ? null : this.currentTerm.start, endDate: h % 5 === 0 ? null : this.currentTerm.end,
      };
    }
    const e = this.extras[i - this.blockBEnd] as ExtraEnrollment;
    const school = this.schoolOfClass(e.classIndex);
    return {
      index: i, sourcedId, status: 'active', modified, userId: e.userId, classId: makeId('class', e.classIndex),
      schoolId: school.sourcedId, role: e.role, primary: e.primary, beginDate: e.beginDate, endDate: e.endDate,
    };
  }

  enrollment(i: number): SimEnrollment | null {
    if (!Number.isInteger(i) || i < 0 || i >= this.enrollmentCount || this.mutation.removedEnrollmentSet(i)) return null;
    const e = { ...this.enrollmentRaw(i), ...this.enrollmentOverrides.get(i) };
    if (this.mutation.tbdEnrollments.has(i)) {
      e.status = 'tobedeleted';
      e.modified = this.mutatedModified();
    }
    return e;
  }

  // ---- views: which indices a path serves, in sourcedId order ---------------------------------------------------

  private usersWithout(view: IndexView): IndexView {
    return view.without(this.mutation.removedUserRanges);
  }
  private enrollmentsWithout(view: IndexView): IndexView {
    return view.without(this.mutation.removedEnrollmentRanges);
  }

  allUsers(): IndexView {
    return this.usersWithout(new IndexView([[0, this.userCount]]));
  }
  teachers(school?: SchoolBlock): IndexView {
    return this.usersWithout(new IndexView([school ? [school.tStart, school.tStart + school.nT] : [0, this.teacherCount]]));
  }
  students(school?: SchoolBlock): IndexView {
    return this.usersWithout(new IndexView([school ? [school.sStart, school.sStart + school.nS] : [this.teacherCount, this.userCount]]));
  }
  allClasses(school?: SchoolBlock): IndexView {
    return new IndexView([school ? [school.cStart, school.cStart + school.nReg + school.nSpecial] : [0, this.classCount]]);
  }
  allCourses(school?: SchoolBlock): IndexView {
    return new IndexView([school ? [school.coStart, school.coStart + school.nCo] : [0, this.courseCount]]);
  }
  allEnrollments(school?: SchoolBlock): IndexView {
    if (!school) return this.enrollmentsWithout(new IndexView([[0, this.enrollmentCount]]));
    const ranges: Array<readonly [number, number]> = [
      [school.cStart, school.cStart + school.nReg + school.nSpecial],
      [school.ebStart, school.ebStart + school.nS * school.k],
    ];
    this.extras.forEach((e, n) => {
      if (this.schoolOfClass(e.classIndex) === school) ranges.push([this.blockBEnd + n, this.blockBEnd + n + 1]);
    });
    return this.enrollmentsWithout(new IndexView(ranges));
  }

  /** Every enrollment of a class (found arithmetically, not by scanning). */
  enrollmentsOfClass(classIndex: number): number[] {
    const school = this.schoolOfClass(classIndex);
    const local = classIndex - school.cStart;
    const out: number[] = [classIndex];
    if (local < school.nReg) {
      for (let j = 0; j < school.k; j++) {
        const first = (((local - j * school.step) % school.nReg) + school.nReg) % school.nReg;
        for (let s = first; s < school.nS; s += school.nReg) out.push(school.ebStart + s * school.k + j);
      }
    }
    this.extras.forEach((e, n) => {
      if (e.classIndex === classIndex) out.push(this.blockBEnd + n);
    });
    return out.filter((e) => !this.mutation.removedEnrollmentSet(e)).sort((a, b) => a - b);
  }

  /** Users enrolled in a class with a role (the nested /classes/{id}/students|teachers paths). */
  usersOfClass(classIndex: number, role: 'student' | 'teacher'): IndexView {
    const users = new Set<number>();
    for (const ei of this.enrollmentsOfClass(classIndex)) {
      const e = this.enrollment(ei);
      if (!e || e.role !== role || e.status !== 'active') continue;
      const ui = parseId('user', e.userId);
      if (ui !== null && this.user(ui)) users.add(ui);
    }
    return IndexView.of([...users].sort((a, b) => a - b));
  }

  /** Classes a user is enrolled in (any role, active enrollments), for /users/{id}/classes. */
  classesOfUser(userIndex: number): number[] {
    const u = this.user(userIndex);
    if (!u) return [];
    const school = u.role === 'teacher' ? this.schoolOfTeacher(userIndex) : this.schoolOfStudent(userIndex);
    const candidates: number[] = [];
    // Block A: a teacher's regular classes, and every special class slot (one holds a student).
    if (u.role === 'teacher') {
      for (let c = userIndex - school.tStart; c < school.nReg; c += school.nT) candidates.push(school.cStart + c);
    } else {
      const start = school.ebStart + (userIndex - school.sStart) * school.k;
      for (let j = 0; j < school.k; j++) candidates.push(start + j);
    }
    for (let s = 0; s < school.nSpecial; s++) candidates.push(school.cStart + school.nReg + s);
    for (let n = 0; n < this.extras.length; n++) candidates.push(this.blockBEnd + n);
    const classes = new Set<number>();
    for (const ei of candidates) {
      const e = this.enrollment(ei);
      if (e && e.userId === u.sourcedId && e.status === 'active') classes.add(parseId('class', e.classId) as number);
    }
    return [...classes].sort((a, b) => a - b);
  }

  // ---- ground truth ----------------------------------------------------------------------------------------------

  /** The roster a correct sync of the main district must produce on the day asOf (YYYY-MM-DD). */
  expected(asOf: string = this.today): ExpectedRoster {
    return expectedRoster(this, this.mainSchools().map((s) => s.sourcedId), asOf);
  }

  /** The roster a correct sync scoped to one school must produce. */
  expectedForSchool(schoolId: string, asOf: string = this.today): ExpectedRoster {
    return expectedRoster(this, [schoolId], asOf);
  }

  /** The main district's schools' sourcedIds, in order. */
  schoolIds(): string[] {
    return this.mainSchools().map((s) => s.sourcedId);
  }

  // ---- mutations -------------------------------------------------------------------------------------------------

  setMutation(m: Mutation): MutationEffect {
    this.mutationVersion++;
    const state = emptyMutation();
    const main = this.mainSchools();
    // Victims come from the regular records, never the awkward ones (tests look those up by id).
    const regularStudents: number[] = [];
    for (const s of main) {
      for (let l = s.index === 0 ? 20 : 0; l < s.nS; l++) regularStudents.push(s.sStart + l);
    }
    const spread = <T>(pool: T[], n: number): T[] => {
      const count = Math.min(Math.max(0, Math.floor(n)), pool.length);
      const out: T[] = [];
      for (let c = 0; c < count; c++) out.push(pool[Math.floor(((c + 0.5) * pool.length) / count)] as T);
      return out;
    };
    const removedStudents = spread(regularStudents, m.removeStudents ?? 0);
    for (const u of removedStudents) {
      state.removedUsers.add(u);
      const school = this.schoolOfStudent(u);
      const start = school.ebStart + (u - school.sStart) * school.k;
      state.removedEnrollmentRangesMut.push([start, start + school.k]);
    }
    const remaining = regularStudents.filter((u) => !state.removedUsers.has(u));
    // Removed and tobedeleted enrollments: the first class of distinct remaining students.
    const enrollmentOf = (u: number) => {
      const school = this.schoolOfStudent(u);
      return school.ebStart + (u - school.sStart) * school.k;
    };
    const removedEnrollments = spread(remaining, m.removeEnrollments ?? 0).map(enrollmentOf);
    for (const e of removedEnrollments) state.removedEnrollmentRangesMut.push([e, e + 1]);
    const tbdEnrollmentStudents = spread(remaining.filter((u) => !removedEnrollments.includes(enrollmentOf(u))), m.markToBeDeleted?.enrollments ?? 0);
    for (const u of tbdEnrollmentStudents) state.tbdEnrollments.add(enrollmentOf(u) + (this.schoolOfStudent(u).k > 1 ? 1 : 0));
    const renameUsers = spread(remaining, m.renameUsers ?? 0);
    for (const u of renameUsers) state.renamedUsers.add(u);
    const tbdUsers = spread(remaining.filter((u) => !state.renamedUsers.has(u)), m.markToBeDeleted?.users ?? 0);
    for (const u of tbdUsers) state.tbdUsers.add(u);

    const regularClasses: number[] = [];
    const regularCourses: number[] = [];
    for (const s of main) {
      for (let l = s.index === 0 ? 4 : 0; l < s.nReg; l++) regularClasses.push(s.cStart + l);
      for (let l = 0; l < s.nCo; l++) regularCourses.push(s.coStart + l);
    }
    for (const c of spread(regularClasses, m.markToBeDeleted?.classes ?? 0)) state.tbdClasses.add(c);
    for (const c of spread(regularCourses, m.renameCourses ?? 0)) state.renamedCourses.add(c);
    state.finish();
    this.mutation = state;

    const ids = (kind: 'user' | 'class' | 'course' | 'enrollment', xs: Iterable<number>) => [...xs].sort((a, b) => a - b).map((x) => makeId(kind, x));
    return {
      removedStudents: ids('user', state.removedUsers),
      removedEnrollments: ids('enrollment', removedEnrollments),
      renamedCourses: ids('course', state.renamedCourses),
      renamedUsers: ids('user', state.renamedUsers),
      toBeDeleted: { users: ids('user', state.tbdUsers), classes: ids('class', state.tbdClasses), enrollments: ids('enrollment', state.tbdEnrollments) },
    };
  }
}

interface MutationState {
  removedUsers: Set<number>;
  removedUserRanges: Array<readonly [number, number]>;
  removedEnrollmentRangesMut: Array<[number, number]>;
  removedEnrollmentRanges: Array<readonly [number, number]>;
  removedEnrollmentSet(i: number): boolean;
  renamedCourses: Set<number>;
  renamedUsers: Set<number>;
  tbdUsers: Set<number>;
  tbdClasses: Set<number>;
  tbdEnrollments: Set<number>;
  finish(): void;
}

function emptyMutation(): MutationState {
  const state: MutationState = {
    removedUsers: new Set(),
    removedUserRanges: [],
    removedEnrollmentRangesMut: [],
    removedEnrollmentRanges: [],
    removedEnrollmentSet: (i) => {
      // Binary search: this runs for every enrollment served.
      const ranges = state.removedEnrollmentRanges;
      let lo = 0, hi = ranges.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const [s, e] = ranges[mid] as readonly [number, number];
        if (i < s) hi = mid - 1;
        else if (i >= e) lo = mid + 1;
        else return true;
      }
      return false;
    },
    renamedCourses: new Set(),
    renamedUsers: new Set(),
    tbdUsers: new Set(),
    tbdClasses: new Set(),
    tbdEnrollments: new Set(),
    finish() {
      state.removedUserRanges = [...state.removedUsers].map((u) => [u, u + 1] as const);
      state.removedEnrollmentRanges = [...state.removedEnrollmentRangesMut].sort((a, b) => a[0] - b[0]);
    },
  };
  return state;
}
