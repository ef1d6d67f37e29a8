/**
 * Which records a OneRoster path serves: the path is resolved to a collection (an index view plus a way to shape
 * one record) or to a single record. No HTTP here; server.ts does that.
 */
import type { District, SimUser } from './district.js';
import { parseId } from './ids.js';
import type { Json, Shaper } from './shapes.js';
import { IndexView } from './views.js';

export interface Collection {
  /** The name faults are keyed by: the last path segment (enrollments, users, students, ...). */
  name: string;
  /** The envelope key: users for /students too, orgs for /schools, academicSessions for /terms. */
  envelope: string;
  view: IndexView;
  record(index: number): Json | null;
  /** True when this is a nested path (needs the roster.readonly scope). */
  nested: boolean;
}

export interface Single {
  envelope: string;
  record: Json;
}

export type Resolved = { kind: 'collection'; collection: Collection } | { kind: 'single'; single: Single } | { kind: 'notFound'; what: string };

const notFound = (what: string): Resolved => ({ kind: 'notFound', what });

export function resolve(d: District, shape: Shaper, segments: string[]): Resolved {
  const orgs = d.orgs();
  const orgList = (filter: (o: (typeof orgs)[number]) => boolean, name: string): Collection => {
    const list = orgs.filter(filter).sort((a, b) => (a.sourcedId < b.sourcedId ? -1 : 1));
    return { name, envelope: 'orgs', view: new IndexView([[0, list.length]]), record: (i) => (list[i] ? shape.org(list[i], i) : null), nested: false };
  };
  const sessionList = (filter: (s: (typeof d.sessions)[number]) => boolean, name: string, nested = false): Collection => {
    const list = d.sessions.filter(filter);
    return { name, envelope: 'academicSessions', view: new IndexView([[0, list.length]]), record: (i) => (list[i] ? shape.session(list[i], i) : null), nested };
  };
  const users = (name: string, view: IndexView, nested: boolean, role?: SimUser['role']): Collection => ({
    name, envelope: 'users', view, nested,
    record: (i) => {
      const u = d.user(i);
      return u && (!role || u.role === role) ? shape.user(u) : null;
    },
  });
  const classes = (name: string, view: IndexView, nested: boolean): Collection => ({
    name, envelope: 'classes', view, nested, record: (i) => { const c = d.class(i); return c ? shape.class(c) : null; },
  });
  const courses = (view: IndexView, nested: boolean): Collection => ({
    name: 'courses', envelope: 'courses', view, nested, record: (i) => { const c = d.course(i); return c ? shape.course(c) : null; },
  });
  const enrollments = (view: IndexView, nested: boolean): Collection => ({
    name: 'enrollments', envelope: 'enrollments', view, nested, record: (i) => { const e = d.enrollment(i); return e ? shape.enrollment(e) : null; },
  });
  const collection = (c: Collection): Resolved => ({ kind: 'collection', collection: c });
  const single = (envelope: string, record: Json | null, what: string): Resolved => (record ? { kind: 'single', single: { envelope, record } } : notFound(what));

  const [top, id, sub, subId, subSub] = segments;
  if (!top) return notFound('a collection');

  if (segments.length === 1) {
    switch (top) {
      case 'orgs': return collection(orgList(() => true, 'orgs'));
      case 'schools': return collection(orgList((o) => o.type === 'school', 'schools'));
      case 'academicSessions': return collection(sessionList(() => true, 'academicSessions'));
      case 'terms': return collection(sessionList((s) => s.type === 'term', 'terms'));
      case 'gradingPeriods': return collection(sessionList(() => false, 'gradingPeriods'));
      case 'courses': return collection(courses(d.allCourses(), false));
      case 'classes': return collection(classes('classes', d.allClasses(), false));
      case 'users': return collection(users('users', d.allUsers(), false));
      case 'students': return collection(users('students', d.students(), false, 'student'));
      case 'teachers': return collection(users('teachers', d.teachers(), false, 'teacher'));
      case 'enrollments': return collection(enrollments(d.allEnrollments(), false));
      default: return notFound(`the collection "${top}"`);
    }
  }

  const key = id as string;
  if (segments.length === 2) {
    switch (top) {
      case 'orgs': return single('org', orgs.find((o) => o.sourcedId === key) ? shape.org(orgs.find((o) => o.sourcedId === key)!) : null, `org ${key}`);
      case 'schools': {
        const o = orgs.find((x) => x.sourcedId === key && x.type === 'school');
        return single('org', o ? shape.org(o) : null, `school ${key}`);
      }
      case 'academicSessions': case 'terms': {
        const s = d.session(key);
        return single('academicSession', s && (top === 'academicSessions' || s.type === 'term') ? shape.session(s) : null, `academic session ${key}`);
      }
      case 'courses': { const c = d.course(parseId('course', key) ?? -1); return single('course', c ? shape.course(c) : null, `course ${key}`); }
      case 'classes': { const c = d.class(parseId('class', key) ?? -1); return single('class', c ? shape.class(c) : null, `class ${key}`); }
      case 'users': case 'students': case 'teachers': {
        const u = d.userById(key);
        const ok = u && (top === 'users' || u.role === (top === 'students' ? 'student' : 'teacher'));
        return single('user', ok ? shape.user(u) : null, `user ${key}`);
      }
      case 'enrollments': { const e = d.enrollment(parseId('enrollment', key) ?? -1); return single('enrollment', e ? shape.enrollment(e) : null, `enrollment ${key}`); }
      default: return notFound(`the collection "${top}"`);
    }
  }

  // Nested paths.
  if (top === 'schools') {
    const school = d.schoolById(key);
    if (!school) return notFound(`school ${key}`);
    if (segments.length === 3) {
      switch (sub) {
        case 'classes': return collection(classes('classes', d.allClasses(school), true));
        case 'students': return collection(users('students', d.students(school), true, 'student'));
        case 'teachers': return collection(users('teachers', d.teachers(school), true, 'teacher'));
        case 'enrollments': return collection(enrollments(d.allEnrollments(school), true));
        case 'courses': return collection(courses(d.allCourses(school), true));
        case 'terms': return collection(sessionList((s) => s.type === 'term', 'terms', true));
        default: return notFound(`the collection "${sub}" of a school`);
      }
    }
    if (sub === 'classes' && segments.length === 5) {
      const ci = parseId('class', subId as string);
      if (ci === null || !d.class(ci) || !d.allClasses(school).has(ci)) return notFound(`class ${subId} of school ${key}`);
      switch (subSub) {
        case 'enrollments': return collection(enrollments(IndexView.of(d.enrollmentsOfClass(ci)), true));
        case 'students': return collection(users('students', d.usersOfClass(ci, 'student'), true));
        case 'teachers': return collection(users('teachers', d.usersOfClass(ci, 'teacher'), true));
        default: return notFound(`the collection "${subSub}" of a class`);
      }
    }
    return notFound('this path');
  }
  if (segments.length === 3 && top === 'classes') {
    const ci = parseId('class', key);
    if (ci === null || !d.class(ci)) return notFound(`class ${key}`);
    if (sub === 'students' || sub === 'teachers') {
      return collection(users(sub, d.usersOfClass(ci, sub === 'students' ? 'student' : 'teacher'), true));
    }
    return notFound(`the collection "${sub}" of a class`);
  }
  if (segments.length === 3 && sub === 'classes' && (top === 'users' || top === 'students' || top === 'teachers')) {
    const u = d.userById(key);
    if (!u || (top !== 'users' && u.role !== (top === 'students' ? 'student' : 'teacher'))) return notFound(`user ${key}`);
    return collection(classes('classes', IndexView.of(d.classesOfUser(u.index)), true));
  }
  if (segments.length === 3 && sub === 'classes' && top === 'terms') {
    const term = d.session(key);
    if (!term || term.type !== 'term') return notFound(`term ${key}`);
    const list: number[] = [];
    for (const i of d.allClasses().slice(0, d.classCount)) if (d.class(i)?.termIds.includes(key)) list.push(i);
    return collection(classes('classes', IndexView.of(list), true));
  }
  if (segments.length === 3 && sub === 'classes' && top === 'courses') {
    const course = d.course(parseId('course', key) ?? -1);
    if (!course) return notFound(`course ${key}`);
    const school = d.schoolById(course.schoolId);
    const list: number[] = [];
    for (const i of d.allClasses(school).slice(0, d.classCount)) if (d.class(i)?.courseId === key) list.push(i);
    return collection(classes('classes', IndexView.of(list), true));
  }
  return notFound('this path');
}
