/**
 * OneRoster 1.1 and 1.2 records into the one model of model.ts, leniently: vendors differ in booleans
 * ("true", true, 1), null or absent optional fields, relative hrefs, extra fields and date formats.
 * Both versions' shapes are accepted whatever the configured version, since vendors mix them.
 * A record without a sourcedId cannot be linked or deleted later: it is dropped (null) and the caller counts it.
 */
import type {
  AcademicSessionRecord,
  ClassRecord,
  CollectionName,
  CollectionRecords,
  CourseRecord,
  EnrollmentRecord,
  OrgRecord,
  RecordStatus,
  UserRecord,
  UserRole,
} from './model.js';

type Raw = Record<string, unknown>;

/** The envelope key each collection's list (and single record) arrives under. */
export const envelopeKeys: { [C in CollectionName]: { list: string; single: string } } = {
  orgs: { list: 'orgs', single: 'org' },
  academicSessions: { list: 'academicSessions', single: 'academicSession' },
  courses: { list: 'courses', single: 'course' },
  classes: { list: 'classes', single: 'class' },
  users: { list: 'users', single: 'user' },
  enrollments: { list: 'enrollments', single: 'enrollment' },
};

const normalizers: { [C in CollectionName]: (raw: Raw, base: BaseFields) => CollectionRecords[C] } = {
  orgs: normalizeOrg,
  academicSessions: normalizeAcademicSession,
  courses: normalizeCourse,
  classes: normalizeClass,
  users: normalizeUser,
  enrollments: normalizeEnrollment,
};

/** One record of `collection`, or null when it has no usable sourcedId (or is not an object). */
export function normalizeRecord<C extends CollectionName>(collection: C, raw: unknown): CollectionRecords[C] | null {
  if (!isObject(raw)) return null;
  const sourcedId = idOf(raw.sourcedId);
  if (sourcedId === null) return null;
  const base: BaseFields = { sourcedId, status: statusOf(raw.status), dateLastModified: text(raw.dateLastModified) };
  return normalizers[collection](raw, base) as CollectionRecords[C];
}

interface BaseFields {
  sourcedId: string;
  status: RecordStatus;
  dateLastModified: string | null;
}

function normalizeOrg(raw: Raw, base: BaseFields): OrgRecord {
  return {
    ...base,
    name: text(raw.name) ?? '',
    type: (text(raw.type) ?? '').toLowerCase(),
    identifier: text(raw.identifier),
    parentId: refId(raw.parent),
  };
}

function normalizeAcademicSession(raw: Raw, base: BaseFields): AcademicSessionRecord {
  return {
    ...base,
    title: text(raw.title) ?? '',
    type: text(raw.type) ?? '',
    startDate: dateOf(raw.startDate),
    endDate: dateOf(raw.endDate),
    parentId: refId(raw.parent),
    schoolYear: text(raw.schoolYear),
  };
}

function normalizeCourse(raw: Raw, base: BaseFields): CourseRecord {
  return {
    ...base,
    title: text(raw.title) ?? '',
    courseCode: text(raw.courseCode),
    orgId: refId(raw.org),
  };
}

function normalizeClass(raw: Raw, base: BaseFields): ClassRecord {
  return {
    ...base,
    title: text(raw.title) ?? '',
    classCode: text(raw.classCode),
    classType: text(raw.classType),
    courseId: refId(raw.course),
    schoolId: refId(raw.school),
    termIds: refIds(raw.terms),
    periods: stringList(raw.periods),
  };
}

function normalizeUser(raw: Raw, base: BaseFields): UserRecord {
  const orgsField = refIds(raw.orgs);
  const primaryOrg = refId(raw.primaryOrg);
  const topRole = lower(text(raw.role));

  // 1.2: roles[] of {roleType, role, org}. Kept in the SIS's order, with the primary entry first.
  const roles: UserRole[] = [];
  if (Array.isArray(raw.roles)) {
    for (const entry of raw.roles) {
      if (!isObject(entry)) continue;
      const role = lower(text(entry.role));
      const orgId = refId(entry.org);
      if (!role || !orgId) continue;
      roles.push({ roleType: lower(text(entry.roleType)) === 'primary' ? 'primary' : 'secondary', role, orgId });
    }
    roles.sort((a, b) => (a.roleType === b.roleType ? 0 : a.roleType === 'primary' ? -1 : 1));
  }
  // 1.1: one role over all of `orgs`; expressed as roles too so callers read one shape.
  if (roles.length === 0 && topRole) {
    orgsField.forEach((orgId, i) => roles.push({ roleType: i === 0 ? 'primary' : 'secondary', role: topRole, orgId }));
  }
  const role = roles[0]?.role ?? topRole ?? '';
  const orgIds = unique([...(primaryOrg ? [primaryOrg] : []), ...orgsField, ...roles.map((r) => r.orgId)]);

  return {
    ...base,
    enabledUser: bool(raw.enabledUser, true),
    givenName: text(raw.givenName) ?? '',
    familyName: text(raw.familyName) ?? '',
    email: nonEmpty(text(raw.email)),
    username: nonEmpty(text(raw.username)),
    identifier: nonEmpty(text(raw.identifier)),
    role,
    roles,
    orgIds,
    primaryOrgId: primaryOrg ?? roles[0]?.orgId ?? orgIds[0] ?? null,
  };
}

function normalizeEnrollment(raw: Raw, base: BaseFields): EnrollmentRecord {
  return {
    ...base,
    userId: refId(raw.user) ?? '',
    classId: refId(raw.class) ?? '',
    schoolId: refId(raw.school),
    role: lower(text(raw.role)) ?? '',
    primary: bool(raw.primary, false),
    beginDate: dateOf(raw.beginDate),
    endDate: dateOf(raw.endDate),
  };
}

// ---- field readers -------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field; numbers are accepted (some vendors send numeric codes), empty stays empty. */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function nonEmpty(v: string | null): string | null {
  const t = v?.trim();
  return t ? t : null;
}

function lower(v: string | null): string | null {
  return v === null ? null : v.trim().toLowerCase() || null;
}

function idOf(v: unknown): string | null {
  return nonEmpty(text(v));
}

/** The sourcedId of a reference; the href is ignored (it may be relative or point at another host). A bare id string is accepted. */
function refId(v: unknown): string | null {
  if (isObject(v)) return idOf(v.sourcedId);
  return idOf(v);
}

function refIds(v: unknown): string[] {
  if (!Array.isArray(v)) return v === undefined || v === null ? [] : refIds([v]);
  return unique(v.map(refId).filter((id): id is string => id !== null));
}

/** periods arrive as an array, or as one comma-separated string from some vendors. */
function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(text).filter((s): s is string => s !== null && s.trim() !== '').map((s) => s.trim());
  const s = text(v);
  return s ? s.split(',').map((p) => p.trim()).filter(Boolean) : [];
}

/** true/false, "true"/"false" (any case), 1/0, "1"/"0"; anything else takes the default. */
export function bool(v: unknown, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1') return true;
  if (v === 0 || v === '0') return false;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === 'yes') return true;
    if (t === 'false' || t === 'no') return false;
  }
  return fallback;
}

/** 'YYYY-MM-DD' from a date or date-time string; null when absent or not a date. */
export function dateOf(v: unknown): string | null {
  const s = text(v);
  const m = s ? /^\s*(\d{4}-\d{2}-\d{2})/.exec(s) : null;
  return m ? m[1]! : null;
}

/** `tobedeleted` (any case) and 1.0's `inactive` (which 1.1 says to read as tobedeleted) mean gone; absent means active. */
function statusOf(v: unknown): RecordStatus {
  const s = lower(text(v));
  return s === 'tobedeleted' || s === 'inactive' ? 'tobedeleted' : 'active';
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
