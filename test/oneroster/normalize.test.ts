import { afterEach, describe, expect, it } from 'vitest';
import { OneRosterClient } from '../../daemon/src/oneroster/client.js';
import { bool, dateOf, normalizeRecord } from '../../daemon/src/oneroster/normalize.js';
import { readAll, sisConfig, startFakeSis, type FakeSis } from './fake-sis.js';

describe('normalising OneRoster 1.1 records', () => {
  it('maps a 1.1 user: one role over its orgs, "true" strings, relative hrefs ignored', () => {
    const user = normalizeRecord('users', {
      sourcedId: 'u1',
      status: 'active',
      dateLastModified: '2023-02-10 05:05:21.299Z',
      enabledUser: 'true',
      orgs: [
        { href: '~/ims/oneroster/v1p1/orgs/894', sourcedId: '894', type: 'org' },
        { href: 'https://elsewhere.example/orgs/12', sourcedId: '12', type: 'org' },
      ],
      role: 'Teacher',
      username: 'jdoe',
      userIds: [{ type: 'LDAP', identifier: 'x' }],
      givenName: 'Mere',
      familyName: "O'Brien-Tāwhiri",
      middleName: 'Ana',
      identifier: '',
      email: '  ',
      sms: '',
      grades: ['09'],
      vendorExtension: { anything: true },
    });
    expect(user).toEqual({
      sourcedId: 'u1',
      status: 'active',
      dateLastModified: '2023-02-10 05:05:21.299Z',
      enabledUser: true,
      givenName: 'Mere',
      familyName: "O'Brien-Tāwhiri",
      email: null,
      username: 'jdoe',
      identifier: null,
      role: 'teacher',
      roles: [
        { roleType: 'primary', role: 'teacher', orgId: '894' },
        { roleType: 'secondary', role: 'teacher', orgId: '12' },
      ],
      orgIds: ['894', '12'],
      primaryOrgId: '894',
    });
  });

  it('maps 1.1 classes, courses, sessions, orgs and enrollments', () => {
    expect(
      normalizeRecord('classes', {
        sourcedId: 'c1',
        status: 'active',
        title: 'Maths 9',
        classCode: null,
        classType: 'scheduled',
        course: { sourcedId: 'co1' },
        school: { href: '/orgs/s1', sourcedId: 's1', type: 'org' },
        terms: [{ sourcedId: 't1' }, { sourcedId: 't2' }],
        periods: '1, 2',
      }),
    ).toEqual({
      sourcedId: 'c1',
      status: 'active',
      dateLastModified: null,
      title: 'Maths 9',
      classCode: null,
      classType: 'scheduled',
      courseId: 'co1',
      schoolId: 's1',
      termIds: ['t1', 't2'],
      periods: ['1', '2'],
    });
    expect(normalizeRecord('courses', { sourcedId: 'co1', title: 'Maths', courseCode: 'MAT9', org: { sourcedId: 's1' } })).toMatchObject({ title: 'Maths', courseCode: 'MAT9', orgId: 's1' });
    expect(normalizeRecord('academicSessions', { sourcedId: 't1', title: 'Term 1', type: 'term', startDate: '2026-01-27', endDate: '2026-04-10T00:00:00Z', parent: { sourcedId: 'y' }, schoolYear: 2026 })).toMatchObject({
      startDate: '2026-01-27',
      endDate: '2026-04-10',
      parentId: 'y',
      schoolYear: '2026',
    });
    expect(normalizeRecord('orgs', { sourcedId: 's1', name: 'Kura', type: 'School', identifier: 'MOE-12', parent: { sourcedId: 'd1' }, children: [] })).toMatchObject({
      type: 'school',
      identifier: 'MOE-12',
      parentId: 'd1',
    });
    expect(normalizeRecord('enrollments', { sourcedId: 'e1', status: 'tobedeleted', user: { sourcedId: 'u1' }, class: { sourcedId: 'c1' }, school: { sourcedId: 's1' }, role: 'student', primary: 'false', beginDate: '2026-01-27', endDate: null })).toEqual({
      sourcedId: 'e1',
      status: 'tobedeleted',
      dateLastModified: null,
      userId: 'u1',
      classId: 'c1',
      schoolId: 's1',
      role: 'student',
      primary: false,
      beginDate: '2026-01-27',
      endDate: null,
    });
  });
});

describe('normalising OneRoster 1.2 records', () => {
  it('maps roles[] to role (primary first), orgIds and primaryOrg', () => {
    const user = normalizeRecord('users', {
      sourcedId: 'u2',
      status: 'active',
      dateLastModified: '2025-05-01T05:00:20.097Z',
      enabledUser: 'false',
      username: 'kiri',
      givenName: '=Kiri',
      familyName: 'Ngata',
      email: 'kiri@school.example',
      roles: [
        { roleType: 'secondary', role: 'aide', org: { href: '...', sourcedId: 's2', type: 'org' } },
        { roleType: 'primary', role: 'teacher', org: { sourcedId: 's1' }, userProfile: 'x', beginDate: '2025-01-01' },
        { roleType: 'secondary', role: 'teacher', org: null },
      ],
      primaryOrg: { sourcedId: 's1' },
      metadata: { 'vendor.x': 1 },
    });
    expect(user).toMatchObject({
      enabledUser: false,
      givenName: '=Kiri',
      role: 'teacher',
      roles: [
        { roleType: 'primary', role: 'teacher', orgId: 's1' },
        { roleType: 'secondary', role: 'aide', orgId: 's2' },
      ],
      orgIds: ['s1', 's2'],
      primaryOrgId: 's1',
    });
  });

  it('takes the first role when none is primary, and tolerates absent optional fields', () => {
    const user = normalizeRecord('users', { sourcedId: 'u3', roles: [{ roleType: 'secondary', role: 'student', org: { sourcedId: 's9' } }] });
    expect(user).toMatchObject({ status: 'active', enabledUser: true, role: 'student', orgIds: ['s9'], primaryOrgId: 's9', email: null, username: null, givenName: '', dateLastModified: null });
  });

  it('drops records without a sourcedId', () => {
    expect(normalizeRecord('users', { givenName: 'x' })).toBeNull();
    expect(normalizeRecord('users', { sourcedId: '  ' })).toBeNull();
    expect(normalizeRecord('classes', null)).toBeNull();
    expect(normalizeRecord('classes', [1])).toBeNull();
  });

  it('reads the 1.0 status inactive as tobedeleted', () => {
    expect(normalizeRecord('orgs', { sourcedId: 'o', status: 'inactive' })?.status).toBe('tobedeleted');
    expect(normalizeRecord('orgs', { sourcedId: 'o', status: 'toBeDeleted' })?.status).toBe('tobedeleted');
  });
});

describe('lenient field readers', () => {
  it('reads booleans in every vendor spelling', () => {
    for (const v of [true, 'true', 'TRUE', 1, '1']) expect(bool(v, false)).toBe(true);
    for (const v of [false, 'false', 'False', 0, '0']) expect(bool(v, true)).toBe(false);
    expect(bool(null, true)).toBe(true);
    expect(bool(undefined, false)).toBe(false);
    expect(bool('maybe', true)).toBe(true);
  });
  it('reads dates and strips times', () => {
    expect(dateOf('2026-03-01')).toBe('2026-03-01');
    expect(dateOf('2026-03-01T10:00:00.000Z')).toBe('2026-03-01');
    expect(dateOf('2026-03-01 10:00:00')).toBe('2026-03-01');
    expect(dateOf('')).toBeNull();
    expect(dateOf(null)).toBeNull();
    expect(dateOf('01/03/2026')).toBeNull();
  });
});

describe('normalisation over HTTP', () => {
  let sis: FakeSis | undefined;
  let client: OneRosterClient | undefined;
  afterEach(async () => {
    await client?.close();
    await sis?.close();
  });

  it('reads a mixed page of 1.1 and 1.2 users into one model', async () => {
    sis = await startFakeSis({
      collections: {
        users: [
          { sourcedId: 'a', enabledUser: 1, role: 'student', orgs: [{ sourcedId: 's1' }], givenName: 'A', familyName: 'A', email: 'a@x' },
          { sourcedId: 'b', enabledUser: '0', roles: [{ roleType: 'primary', role: 'student', org: { sourcedId: 's1' } }], givenName: 'B', familyName: 'B', email: null },
        ],
      },
    });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis, { version: '1.1' }), getSecret: async () => 'test-secret' });
    const { records } = await readAll(client.read('users'));
    expect(records.map((u) => [u.sourcedId, u.enabledUser, u.role, u.orgIds, u.email])).toEqual([
      ['a', true, 'student', ['s1'], 'a@x'],
      ['b', false, 'student', ['s1'], null],
    ]);
  });
});
