/**
 * The ground truth: the roster a correct sync of a district (or one school) must produce, computed from the
 * generator's own records - deliberately not from anything the sync code uses - by the rules in the issue:
 * active records only; users enabled and with an email; enrollments active, student or teacher, with
 * beginDate <= asOf <= endDate (inclusive, null = open); class and user both rostered and in the scope, the
 * user in the enrollment's role.
 */
import type { District, SimClass, SimEnrollment, SimUser } from './district.js';
import { parseId } from './ids.js';

export interface ExpectedRoster {
  schools: Array<{ sourcedId: string; name: string; identifier: string }>;
  classes: Array<{
    sourcedId: string; schoolId: string; title: string; classCode: string; courseTitle: string; courseCode: string;
    termTitle: string; periods: string[]; teacherIds: string[];
  }>;
  users: Array<{ sourcedId: string; role: 'student' | 'teacher'; givenName: string; familyName: string; email: string; schoolId: string }>;
  memberships: Array<{ classId: string; userId: string; role: 'student' | 'teacher' }>;
  /** Users the sync must leave out and report: active, enabled, in scope, but without an email. */
  skippedUsers: Array<{ sourcedId: string; reason: 'missing-email' }>;
}

export function expectedRoster(d: District, schoolIds: string[], asOf: string): ExpectedRoster {
  const blocks = schoolIds.map((id) => {
    const b = d.schoolById(id);
    if (!b) throw new Error(`the simulated district has no school ${id}`);
    return b;
  });
  const inScope = new Set(schoolIds);
  const orgs = new Map(d.orgs().map((o) => [o.sourcedId, o]));
  const out: ExpectedRoster = { schools: [], classes: [], users: [], memberships: [], skippedUsers: [] };

  for (const b of blocks) {
    const o = orgs.get(b.sourcedId);
    if (o && o.status === 'active') out.schools.push({ sourcedId: o.sourcedId, name: o.name, identifier: o.identifier });
  }

  const rosteredUsers = new Map<string, SimUser>();
  for (const b of blocks) {
    for (const view of [d.teachers(b), d.students(b)]) {
      for (const i of view.slice(0, view.count)) {
        const u = d.user(i);
        if (!u || u.status !== 'active' || !u.enabled || !inScope.has(u.schoolId)) continue;
        if (u.email.trim() === '') {
          out.skippedUsers.push({ sourcedId: u.sourcedId, reason: 'missing-email' });
          continue;
        }
        rosteredUsers.set(u.sourcedId, u);
      }
    }
  }

  const rosteredClasses = new Map<string, SimClass>();
  for (const b of blocks) {
    const view = d.allClasses(b);
    for (const i of view.slice(0, view.count)) {
      const c = d.class(i);
      if (c && c.status === 'active' && inScope.has(c.schoolId)) rosteredClasses.set(c.sourcedId, c);
    }
  }

  const seen = new Set<string>();
  const teachers = new Map<string, Array<{ id: string; primary: boolean }>>();
  const live = (e: SimEnrollment) =>
    e.status === 'active' && (e.role === 'student' || e.role === 'teacher') &&
    (e.beginDate === null || e.beginDate <= asOf) && (e.endDate === null || asOf <= e.endDate);
  for (const b of blocks) {
    const view = d.allEnrollments(b);
    for (const i of view.slice(0, view.count)) {
      const e = d.enrollment(i);
      // A membership places a user in a class in the user's own role: a teacher enrolled as a student in the
      // same class keeps only the teacher membership (the rule teacher_enrolled_as_student reports it).
      if (!e || !live(e) || !rosteredClasses.has(e.classId) || rosteredUsers.get(e.userId)?.role !== e.role) continue;
      const key = `${e.classId}|${e.userId}|${e.role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.memberships.push({ classId: e.classId, userId: e.userId, role: e.role });
      if (e.role === 'teacher') {
        const list = teachers.get(e.classId) ?? [];
        list.push({ id: e.userId, primary: e.primary });
        teachers.set(e.classId, list);
      }
    }
  }

  const sessions = new Map(d.sessions.map((s) => [s.sourcedId, s]));
  for (const c of rosteredClasses.values()) {
    const course = d.course(parseId('course', c.courseId) ?? -1);
    const term = c.termIds.map((t) => sessions.get(t)).find((s) => s?.type === 'term') ?? sessions.get(c.termIds[0] as string);
    const ts = (teachers.get(c.sourcedId) ?? []).sort((a, b) => (a.primary === b.primary ? (a.id < b.id ? -1 : 1) : a.primary ? -1 : 1));
    out.classes.push({
      sourcedId: c.sourcedId, schoolId: c.schoolId, title: c.title, classCode: c.classCode,
      courseTitle: course?.title ?? '', courseCode: course?.courseCode ?? '', termTitle: term?.title ?? '',
      periods: [...c.periods], teacherIds: ts.map((t) => t.id),
    });
  }
  for (const u of rosteredUsers.values()) {
    out.users.push({ sourcedId: u.sourcedId, role: u.role, givenName: u.givenName, familyName: u.familyName, email: u.email, schoolId: u.schoolId });
  }

  const byId = (a: { sourcedId: string }, b: { sourcedId: string }) => (a.sourcedId < b.sourcedId ? -1 : a.sourcedId > b.sourcedId ? 1 : 0);
  out.schools.sort(byId);
  out.classes.sort(byId);
  out.users.sort(byId);
  out.skippedUsers.sort(byId);
  out.memberships.sort((a, b) => (a.classId + '|' + a.userId + '|' + a.role < b.classId + '|' + b.userId + '|' + b.role ? -1 : 1));
  return out;
}
