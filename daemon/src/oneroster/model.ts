/**
 * OneRoster records as rosterd sees them: 1.1 and 1.2 shapes normalised into one model by oneroster/normalize.ts.
 * References are kept as sourcedIds only (never href: an href may be relative or point at another host).
 */

export type RecordStatus = 'active' | 'tobedeleted';

interface Base {
  sourcedId: string;
  status: RecordStatus;
  dateLastModified: string | null;
}

export interface OrgRecord extends Base {
  name: string;
  type: string; // district | school | department | local | state | national
  identifier: string | null;
  parentId: string | null;
}

export interface AcademicSessionRecord extends Base {
  title: string;
  type: string; // schoolYear | term | semester | gradingPeriod
  startDate: string | null; // YYYY-MM-DD
  endDate: string | null;
  parentId: string | null;
  schoolYear: string | null;
}

export interface CourseRecord extends Base {
  title: string;
  courseCode: string | null;
  orgId: string | null;
}

export interface ClassRecord extends Base {
  title: string;
  classCode: string | null;
  classType: string | null;
  courseId: string | null;
  schoolId: string | null;
  termIds: string[];
  periods: string[];
}

export interface UserRole {
  roleType: 'primary' | 'secondary';
  role: string;
  orgId: string;
}

export interface UserRecord extends Base {
  enabledUser: boolean;
  givenName: string;
  familyName: string;
  /** null when the SIS sent none or an empty string. */
  email: string | null;
  username: string | null;
  identifier: string | null;
  /** The primary role: 1.1's `role`, or 1.2's primary entry in `roles` (first entry when none is marked primary). */
  role: string;
  roles: UserRole[];
  /** Every org the user belongs to: 1.1 `orgs`, 1.2 `primaryOrg` and the orgs of `roles`. */
  orgIds: string[];
  primaryOrgId: string | null;
}

export interface EnrollmentRecord extends Base {
  userId: string;
  classId: string;
  schoolId: string | null;
  role: string; // student | teacher | administrator | proctor | ...
  primary: boolean;
  beginDate: string | null; // YYYY-MM-DD
  endDate: string | null;
}

export interface CollectionRecords {
  orgs: OrgRecord;
  academicSessions: AcademicSessionRecord;
  courses: CourseRecord;
  classes: ClassRecord;
  users: UserRecord;
  enrollments: EnrollmentRecord;
}

export type CollectionName = keyof CollectionRecords;
