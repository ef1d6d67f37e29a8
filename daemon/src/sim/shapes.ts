/**
 * The wire shapes of OneRoster 1.1 and 1.2 for the simulated district's records.
 * 1.2 follows the official OpenAPI document exactly (a test validates it). 1.1 deliberately varies what vendors vary
 * (booleans as real booleans or strings, relative hrefs, a space instead of T in timestamps, null optional fields)
 * so the client's leniency is exercised.
 */
import { hash, SALT } from './names.js';
import type { District, SimClass, SimCourse, SimEnrollment, SimOrg, SimSession, SimUser } from './district.js';
import { SCHOOL_YEAR_ID } from './ids.js';

export type OneRosterVersion = '1.1' | '1.2';
export type Json = Record<string, unknown>;

export const PREFIX_PATH: Record<OneRosterVersion, string> = {
  '1.1': '/ims/oneroster/v1p1',
  '1.2': '/ims/oneroster/rostering/v1p2',
};

type RefType = 'org' | 'academicSession' | 'course' | 'class' | 'user';
const REF_PATH: Record<RefType, string> = { org: 'orgs', academicSession: 'academicSessions', course: 'courses', class: 'classes', user: 'users' };

export class Shaper {
  private readonly v11: boolean;
  constructor(
    readonly version: OneRosterVersion,
    /** Absolute URL prefix, e.g. http://127.0.0.1:8750/ims/oneroster/rostering/v1p2 */
    private readonly urlPrefix: string,
    private readonly district: District,
  ) {
    this.v11 = version === '1.1';
  }

  /** A variation switch per record: stable for a record, different across records. */
  private vary(salt: number, key: number, mod: number): number {
    return hash(this.district.seed, salt, key) % mod;
  }

  private ref(type: RefType, sourcedId: string, key = 0): Json {
    // 1.1: about a third of references carry a relative href, as some vendors send.
    const relative = this.v11 && this.vary(SALT.hrefShape, key, 3) === 0;
    const href = `${relative ? PREFIX_PATH['1.1'] : this.urlPrefix}/${REF_PATH[type]}/${encodeURIComponent(sourcedId)}`;
    return { href, sourcedId, type };
  }

  private bool(value: boolean, key: number): unknown {
    if (!this.v11) return value ? 'true' : 'false';
    return this.vary(SALT.boolShape, key, 2) === 0 ? value : String(value);
  }

  private stamp(iso: string, key: number): string {
    // 1.1: some vendors send '2023-02-10 05:05:21.299Z'.
    return this.v11 && this.vary(SALT.modified, key, 4) === 0 ? iso.replace('T', ' ') : iso;
  }

  org(o: SimOrg, key = 0): Json {
    const out: Json = { sourcedId: o.sourcedId, status: o.status, dateLastModified: this.stamp(o.modified, key), name: o.name, type: o.type, identifier: o.identifier };
    if (o.parentId) out.parent = this.ref('org', o.parentId, key);
    else if (this.v11) out.parent = null;
    out.children = o.childIds.map((c, n) => this.ref('org', c, key + n));
    return out;
  }

  session(s: SimSession, key = 0): Json {
    const out: Json = { sourcedId: s.sourcedId, status: s.status, dateLastModified: this.stamp(s.modified, key), title: s.title, startDate: s.startDate, endDate: s.endDate, type: s.type };
    if (s.parentId) out.parent = this.ref('academicSession', s.parentId, key);
    out.children = s.childIds.map((c) => this.ref('academicSession', c, key));
    out.schoolYear = s.schoolYear;
    return out;
  }

  course(c: SimCourse): Json {
    return {
      sourcedId: c.sourcedId, status: c.status, dateLastModified: this.stamp(c.modified, c.index), title: c.title,
      schoolYear: this.ref('academicSession', SCHOOL_YEAR_ID, c.index), courseCode: c.courseCode, grades: [], subjects: [],
      org: this.ref('org', c.schoolId, c.index),
      // Extra vendor fields a client must ignore.
      ...(this.v11 ? { metadata: { 'vendor.subjectArea': 'core' } } : {}),
    };
  }

  class(c: SimClass): Json {
    return {
      sourcedId: c.sourcedId, status: c.status, dateLastModified: this.stamp(c.modified, c.index), title: c.title,
      classCode: c.classCode, classType: c.classType, location: c.location, grades: [], subjects: [],
      course: this.ref('course', c.courseId, c.index), school: this.ref('org', c.schoolId, c.index + 1),
      terms: c.termIds.map((t) => this.ref('academicSession', t, c.index)), periods: c.periods,
    };
  }

  user(u: SimUser): Json {
    const base: Json = { sourcedId: u.sourcedId, status: u.status, dateLastModified: this.stamp(u.modified, u.index), username: u.username,
      userIds: [{ type: 'SIS', identifier: u.identifier }], enabledUser: this.bool(u.enabled, u.index), givenName: u.givenName, familyName: u.familyName };
    const grades = u.grade ? [u.grade] : [];
    if (this.v11) {
      return {
        ...base, middleName: null, role: u.role, identifier: u.identifier,
        // No email: absent, null or '' - all three occur in the wild.
        ...(u.email === '' ? [{}, { email: null }, { email: '' }][this.vary(SALT.emailShape, u.index, 3)] : { email: u.email }),
        sms: null, phone: null, agents: [], orgs: [this.ref('org', u.schoolId, u.index)], grades,
      };
    }
    return {
      ...base,
      roles: [{ roleType: 'primary', role: u.role, org: this.ref('org', u.schoolId) }],
      primaryOrg: this.ref('org', u.schoolId), identifier: u.identifier,
      ...(u.email === '' ? (this.vary(SALT.emailShape, u.index, 2) === 0 ? {} : { email: '' }) : { email: u.email }),
      grades,
    };
  }

  enrollment(e: SimEnrollment): Json {
    const out: Json = {
      sourcedId: e.sourcedId, status: e.status, dateLastModified: this.stamp(e.modified, e.index),
      user: this.ref('user', e.userId, e.index), class: this.ref('class', e.classId, e.index + 1), school: this.ref('org', e.schoolId, e.index + 2),
      role: e.role, primary: this.bool(e.primary, e.index),
    };
    // 1.2's schema has no nulls: an open date is left out. 1.1 sends null.
    if (e.beginDate !== null) out.beginDate = e.beginDate;
    else if (this.v11) out.beginDate = null;
    if (e.endDate !== null) out.endDate = e.endDate;
    else if (this.v11) out.endDate = null;
    return out;
  }
}
