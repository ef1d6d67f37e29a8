import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSim, type RunningSim } from '../../daemon/src/sim/index.js';
import { allScopes, basic, FIXED_TODAY, get, readAll, tokenFor, type Ref } from './helpers.js';

describe('token endpoint', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 1, today: FIXED_TODAY });
  });
  afterAll(() => sim.close());

  test('HTTP Basic and form-body client authentication both work', async () => {
    const viaBasic = await fetch(sim.tokenUrl, { method: 'POST', headers: { authorization: basic(sim.clientId, sim.clientSecret) }, body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect(viaBasic.status).toBe(200);
    const t = (await viaBasic.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(t.token_type.toLowerCase()).toBe('bearer');
    expect(t.expires_in).toBe(3600);
    expect(t.scope.split(' ').sort()).toEqual(allScopes(sim).sort());
    const viaBody = await fetch(sim.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }) });
    expect(viaBody.status).toBe(200);
    const token = ((await viaBody.json()) as { access_token: string }).access_token;
    expect((await get(sim, token, '/orgs')).status).toBe(200);
  });

  test('wrong credentials: 401 invalid_client, no secret echoed', async () => {
    for (const init of [
      { headers: { authorization: basic(sim.clientId, 'wrong') }, body: new URLSearchParams({ grant_type: 'client_credentials' }) },
      { body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: sim.clientSecret }) },
      { body: new URLSearchParams({ grant_type: 'client_credentials' }) },
    ]) {
      const res = await fetch(sim.tokenUrl, { method: 'POST', ...init });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(JSON.parse(text).error).toBe('invalid_client');
      expect(text).not.toContain(sim.clientSecret);
    }
  });

  test('unknown scope is invalid_scope; requested scopes are what is granted', async () => {
    const res = await fetch(sim.tokenUrl, { method: 'POST', headers: { authorization: basic(sim.clientId, sim.clientSecret) }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'https://example.invalid/scope/everything' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_scope');
    const [core, roster] = allScopes(sim);
    const coreOnly = await tokenFor(sim, [core!]);
    expect((await get(sim, coreOnly, '/classes')).status).toBe(200);
    const nested = await get(sim, coreOnly, `/classes/${sim.district.awkward.coTaughtClass}/students`);
    expect(nested.status).toBe(403);
    expect(((await nested.json()) as { imsx_codeMajor: string }).imsx_codeMajor).toBe('failure');
    const rosterOnly = await tokenFor(sim, [roster!]);
    expect((await get(sim, rosterOnly, '/classes')).status).toBe(403);
    const both = await tokenFor(sim, [core!, roster!]);
    expect((await get(sim, both, `/classes/${sim.district.awkward.coTaughtClass}/students`)).status).toBe(200);
  });

  test('data paths need a valid bearer token', async () => {
    expect((await fetch(sim.urlPrefix + '/users')).status).toBe(401);
    const res = await get(sim, 'not-a-token', '/users');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });

  test('tokens expire after expires_in, and earlier when expireTokensEarly is on', async () => {
    sim.setFaults({ tokenTtlSeconds: 1 });
    try {
      const t = await tokenFor(sim);
      expect((await get(sim, t, '/orgs')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await get(sim, t, '/orgs')).status).toBe(401);
      sim.setFaults({ tokenTtlSeconds: 2, expireTokensEarly: true });
      const early = await tokenFor(sim);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await get(sim, early, '/orgs')).status).toBe(401);
    } finally {
      sim.setFaults({ tokenTtlSeconds: 3600, expireTokensEarly: false });
    }
  });
});

describe('sticky sessions (a load balancer that pins clients with a cookie)', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 1, today: FIXED_TODAY, faults: { stickySessions: true } });
  });
  afterAll(() => sim.close());

  test('a token works only with the affinity cookie of the node that issued it', async () => {
    const issued = await fetch(sim.tokenUrl, { method: 'POST', headers: { authorization: basic(sim.clientId, sim.clientSecret) }, body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect(issued.status).toBe(200);
    const cookie = issued.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^SIMLB=node-\d+; Path=\/; HttpOnly$/);
    const token = ((await issued.json()) as { access_token: string }).access_token;
    const pinned = cookie.split(';')[0]!;

    const withCookie = await fetch(`${sim.urlPrefix}/orgs`, { headers: { authorization: `Bearer ${token}`, cookie: pinned } });
    expect(withCookie.status).toBe(200);
    expect(withCookie.headers.get('set-cookie')).toBeNull(); // already pinned

    const withoutCookie = await get(sim, token, '/orgs');
    expect(withoutCookie.status).toBe(401);
    expect(withoutCookie.headers.get('www-authenticate')).toContain('invalid_token');
    expect(withoutCookie.headers.get('set-cookie')).toMatch(/^SIMLB=node-\d+/);
    expect(withoutCookie.headers.get('set-cookie')).not.toBe(cookie);
  });
});

describe('collections, paging and queries (1.2)', () => {
  let sim: RunningSim;
  let token: string;
  beforeAll(async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 3, today: FIXED_TODAY });
    token = await tokenFor(sim);
  });
  afterAll(() => sim.close());

  test('X-Total-Count and absolute Link next/prev/first/last', async () => {
    const res = await get(sim, token, '/users?limit=10&offset=10');
    const total = Number(res.headers.get('x-total-count'));
    expect(total).toBe(sim.district.allUsers().count);
    const link = res.headers.get('link')!;
    for (const rel of ['next', 'prev', 'first', 'last']) expect(link).toMatch(new RegExp(`<${sim.url}[^>]+>; rel="${rel}"`));
    expect(link).toContain('offset=20');
    const body = (await res.json()) as { users: Array<{ sourcedId: string }> };
    expect(body.users).toHaveLength(10);
    expect(body.users[0]!.sourcedId).toBe('usr-0000010');
  });

  test('following next reads every record once, in sourcedId order', async () => {
    const users = await readAll(sim, token, '/users', 7);
    const ids = users.map((u) => u.sourcedId as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(sim.district.allUsers().count);
    expect([...ids].sort()).toEqual(ids);
    const enrollments = await readAll(sim, token, '/enrollments', 40);
    expect(enrollments).toHaveLength(sim.district.allEnrollments().count);
  });

  test('default limit is 100; orderBy=desc; sort on another field; fields', async () => {
    const dflt = (await (await get(sim, token, '/enrollments')).json()) as { enrollments: unknown[] };
    expect(dflt.enrollments).toHaveLength(100);
    const desc = (await (await get(sim, token, '/users?limit=3&orderBy=desc')).json()) as { users: Array<{ sourcedId: string }> };
    const last = sim.district.allUsers();
    expect(desc.users[0]!.sourcedId).toBe(sim.district.user(last.at(last.count - 1))!.sourcedId);
    const byName = (await (await get(sim, token, '/users?limit=1000&sort=familyName')).json()) as { users: Array<{ familyName: string }> };
    const names = byName.users.map((u) => u.familyName);
    expect(names).toEqual([...names].sort());
    const slim = (await (await get(sim, token, '/users?limit=2&fields=sourcedId,email')).json()) as { users: Array<Record<string, unknown>> };
    expect(Object.keys(slim.users[0]!).sort()).toEqual(['email', 'sourcedId']);
  });

  test('filter: =, ~, AND, OR, dotted fields; bad filter is 400', async () => {
    const q = async (f: string) => {
      const res = await get(sim, token, `/users?limit=1000&filter=${encodeURIComponent(f)}`);
      return { res, users: ((await res.clone().json()) as { users: Array<Record<string, unknown>> }).users };
    };
    const a = sim.district.awkward;
    const { res, users } = await q(`givenName='Tāne' AND familyName='O''Brien'`);
    expect(users.map((u) => u.sourcedId)).toContain(a.macronApostropheStudent);
    expect(users.every((u) => u.givenName === 'Tāne')).toBe(true);
    expect(Number(res.headers.get('x-total-count'))).toBe(users.length);
    const either = await q(`sourcedId='${a.disabledUser}' OR sourcedId='${a.toBeDeletedUser}'`);
    expect(either.users.map((u) => u.sourcedId).sort()).toEqual([a.disabledUser, a.toBeDeletedUser].sort());
    expect((await q(`status='tobedeleted'`)).users.map((u) => u.sourcedId)).toEqual([a.toBeDeletedUser]);
    expect((await q(`familyName~'hyperlink'`)).users.map((u) => u.sourcedId)).toEqual([a.formulaNameStudent]);
    expect((await q(`roles.role='teacher'`)).users.length).toBe(sim.district.teachers().count);
    const bad = await get(sim, token, `/users?filter=${encodeURIComponent('givenName = Tane')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { imsx_codeMajor: string }).imsx_codeMajor).toBe('failure');
  });

  test('singles, nested paths, and 404 in the imsx shape', async () => {
    const a = sim.district.awkward;
    const single = (await (await get(sim, token, `/users/${encodeURIComponent(a.macronApostropheStudent)}`)).json()) as { user: { givenName: string } };
    expect(single.user.givenName).toBe('Tāne');
    expect((await get(sim, token, `/students/${a.primaryTeacher}`)).status).toBe(404);
    expect((await get(sim, token, `/teachers/${a.primaryTeacher}`)).status).toBe(200);
    const school = sim.district.schoolIds()[0]!;
    const teachers = (await (await get(sim, token, `/classes/${a.coTaughtClass}/teachers`)).json()) as { users: Array<{ sourcedId: string }> };
    expect(teachers.users.map((u) => u.sourcedId)).toEqual([a.primaryTeacher, a.coTeacher]);
    const students = (await (await get(sim, token, `/schools/${school}/classes/${a.classWithoutStudents}/students`)).json()) as { users: unknown[] };
    expect(students.users).toEqual([]);
    const schoolClasses = await readAll(sim, token, `/schools/${school}/classes`);
    expect(schoolClasses.every((c) => (c.school as Ref).sourcedId === school)).toBe(true);
    const schoolEnrollments = await readAll(sim, token, `/schools/${school}/enrollments`);
    expect(schoolEnrollments.every((e) => (e.school as Ref).sourcedId === school)).toBe(true);
    for (const sub of ['students', 'teachers', 'courses', 'terms']) expect((await get(sim, token, `/schools/${school}/${sub}`)).status).toBe(200);
    const userClasses = (await (await get(sim, token, `/users/${a.teacherAlsoStudent}/classes?limit=100`)).json()) as { classes: Array<{ sourcedId: string }> };
    expect(userClasses.classes.map((c) => c.sourcedId)).toContain(a.teacherAlsoStudentClass);
    const missing = await get(sim, token, '/classes/cls-999999');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldValue: 'unknownobject' }] } });
    expect((await fetch(`${sim.url}/ims/oneroster/v1p1/users`)).status).toBe(404);
    expect((await get(sim, token, '/nonsense')).status).toBe(404);
  });
});

describe('faults', () => {
  let sim: RunningSim;
  let token: string;
  beforeAll(async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 4, today: FIXED_TODAY });
    token = await tokenFor(sim);
  });
  afterAll(() => sim.close());
  const reset = () =>
    sim.setFaults({ clampLimit: null, omitTotalCount: false, omitLink: false, rateLimitEvery: null, unavailableEvery: null, resetEvery: null, latencyMs: 0, htmlResponses: false, emptyCollections: [], shortCollections: {}, failCollectionsAfter: {} });

  test('clampLimit serves at most N whatever limit asks; Link advances by N', async () => {
    sim.setFaults({ clampLimit: 5 });
    try {
      const res = await get(sim, token, '/users?limit=50');
      expect(((await res.json()) as { users: unknown[] }).users).toHaveLength(5);
      expect(res.headers.get('link')).toContain('offset=5');
    } finally { reset(); }
  });

  test('omitTotalCount and omitLink', async () => {
    sim.setFaults({ omitTotalCount: true, omitLink: true });
    try {
      const res = await get(sim, token, '/users?limit=5');
      expect(res.headers.get('x-total-count')).toBeNull();
      expect(res.headers.get('link')).toBeNull();
      expect(((await res.json()) as { users: unknown[] }).users).toHaveLength(5);
    } finally { reset(); }
  });

  test('rateLimitEvery answers 429 with Retry-After on every Nth request', async () => {
    sim.setFaults({ rateLimitEvery: 3, retryAfterSeconds: 2 });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 6; i++) {
        const res = await get(sim, token, '/orgs');
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
        await res.arrayBuffer();
      }
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);
      expect(statuses.filter((s) => s === 200)).toHaveLength(4);
      expect(retryAfter).toBe('2');
    } finally { reset(); }
  });

  test('unavailableEvery answers 503', async () => {
    sim.setFaults({ unavailableEvery: 2 });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(sim, token, '/orgs')).status);
      expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    } finally { reset(); }
  });

  test('resetEvery destroys the socket without an answer', async () => {
    sim.setFaults({ resetEvery: 1 });
    try {
      await expect(get(sim, token, '/orgs')).rejects.toThrow();
    } finally { reset(); }
    expect((await get(sim, token, '/orgs')).status).toBe(200);
  });

  test('latencyMs delays answers', async () => {
    sim.setFaults({ latencyMs: 150 });
    try {
      const t0 = performance.now();
      await (await get(sim, token, '/orgs')).arrayBuffer();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    } finally { reset(); }
  });

  test('htmlResponses answers a 200 login page', async () => {
    sim.setFaults({ htmlResponses: true });
    try {
      const res = await get(sim, token, '/users');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<html');
    } finally { reset(); }
  });

  test('emptyCollections, shortCollections, failCollectionsAfter', async () => {
    sim.setFaults({ emptyCollections: ['enrollments'], shortCollections: { users: 4 }, failCollectionsAfter: { classes: 3 } });
    try {
      const empty = await get(sim, token, '/enrollments');
      expect(empty.headers.get('x-total-count')).toBe('0');
      expect(((await empty.json()) as { enrollments: unknown[] }).enrollments).toEqual([]);
      const short = await get(sim, token, '/users?limit=10');
      expect(Number(short.headers.get('x-total-count'))).toBe(sim.district.allUsers().count);
      expect(((await short.json()) as { users: unknown[] }).users).toHaveLength(4);
      const later = (await (await get(sim, token, '/users?limit=10&offset=10')).json()) as { users: unknown[] };
      expect(later.users).toEqual([]);
      expect((await get(sim, token, '/classes?limit=3&offset=0')).status).toBe(200);
      expect((await get(sim, token, '/classes?limit=3&offset=3')).status).toBe(500);
    } finally { reset(); }
  });

  test('requests counts data requests', async () => {
    const before = sim.requests;
    await (await get(sim, token, '/orgs')).arrayBuffer();
    expect(sim.requests).toBe(before + 1);
  });
});

describe('what is served is what expected() says (an independent reading, both versions)', () => {
  for (const version of ['1.1', '1.2'] as const) {
    test(`OneRoster ${version}`, async () => {
      const sim = await startSim({ version, size: 'tiny', seed: 11, today: FIXED_TODAY });
      try {
        const token = await tokenFor(sim);
        const truthy = (v: unknown) => v === true || v === 'true';
        const ref = (v: unknown) => (v as Ref).sourcedId;
        const orgs = await readAll(sim, token, '/orgs');
        const schools = new Set(orgs.filter((o) => o.type === 'school' && o.parent && ref(o.parent) === sim.orgId).map((o) => o.sourcedId as string));
        const users = await readAll(sim, token, '/users');
        const classes = await readAll(sim, token, '/classes');
        const enrollments = await readAll(sim, token, '/enrollments');
        const schoolOf = (u: Record<string, unknown>) => (version === '1.1' ? ref((u.orgs as Ref[])[0]) : ref(u.primaryOrg));
        const roleOf = (u: Record<string, unknown>) => (version === '1.1' ? u.role : (u.roles as Array<{ role: string }>)[0]!.role);
        const rosteredUsers = users.filter((u) => u.status === 'active' && truthy(u.enabledUser) && typeof u.email === 'string' && u.email !== '' && schools.has(schoolOf(u)));
        const userIds = new Set(rosteredUsers.map((u) => u.sourcedId));
        const roleById = new Map(rosteredUsers.map((u) => [u.sourcedId, roleOf(u)]));
        const rosteredClasses = classes.filter((c) => c.status === 'active' && schools.has(ref(c.school)));
        const classIds = new Set(rosteredClasses.map((c) => c.sourcedId));
        const memberships = enrollments
          .filter((e) => e.status === 'active' && (e.role === 'student' || e.role === 'teacher'))
          .filter((e) => (e.beginDate == null || (e.beginDate as string) <= FIXED_TODAY) && (e.endDate == null || FIXED_TODAY <= (e.endDate as string)))
          .filter((e) => classIds.has(ref(e.class)) && userIds.has(ref(e.user)) && roleById.get(ref(e.user)) === e.role)
          .map((e) => `${ref(e.class)}|${ref(e.user)}|${e.role as string}`);

        const expected = sim.district.expected(FIXED_TODAY);
        expect([...userIds].sort()).toEqual(expected.users.map((u) => u.sourcedId));
        expect([...classIds].sort()).toEqual(expected.classes.map((c) => c.sourcedId));
        expect([...new Set(memberships)].sort()).toEqual(expected.memberships.map((m) => `${m.classId}|${m.userId}|${m.role}`).sort());
        for (const u of rosteredUsers) {
          const e = expected.users.find((x) => x.sourcedId === u.sourcedId)!;
          expect({ givenName: u.givenName, familyName: u.familyName, email: u.email, role: roleOf(u), schoolId: schoolOf(u) }).toEqual({ givenName: e.givenName, familyName: e.familyName, email: e.email, role: e.role, schoolId: e.schoolId });
        }
        if (version === '1.1') {
          // Vendor variety the client must tolerate: relative hrefs and real booleans on some records.
          expect(enrollments.some((e) => (e.user as Ref).href.startsWith('/ims/'))).toBe(true);
          expect(users.some((u) => u.enabledUser === true) && users.some((u) => u.enabledUser === 'true')).toBe(true);
        } else {
          expect(users.every((u) => u.enabledUser === 'true' || u.enabledUser === 'false')).toBe(true);
        }
      } finally {
        await sim.close();
      }
    });
  }
});
