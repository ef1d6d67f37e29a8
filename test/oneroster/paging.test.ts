import { afterEach, describe, expect, it } from 'vitest';
import { OneRosterClient, type ReadSummary } from '../../daemon/src/oneroster/client.js';
import { parseLink, parseTotalCount } from '../../daemon/src/oneroster/pages.js';
import { json, readAll, sisConfig, startFakeSis, startServer, users, type FakeSis } from './fake-sis.js';

let sis: FakeSis | undefined;
let client: OneRosterClient | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await client?.close();
  await sis?.close();
  for (const c of cleanups.splice(0)) await c();
  client = sis = undefined;
});

function newClient(s: FakeSis, pageSize = 10): OneRosterClient {
  return new OneRosterClient({ integration: 'test', sis: sisConfig(s, { pageSize }), getSecret: async () => 'test-secret' });
}

function dataRequests(s: FakeSis, collection = 'users') {
  return s.requests.filter((r) => r.path.endsWith(`/${collection}`));
}

describe('paging', () => {
  it('sends limit, offset, sort=sourcedId and orderBy=asc, and yields one array per page', async () => {
    sis = await startFakeSis({ collections: { users: users(23) } });
    client = newClient(sis);
    const { records, pages, summary } = await readAll(client.read('users'));
    expect(records.map((r) => r.sourcedId)).toEqual(users(23).map((u) => u.sourcedId));
    expect(pages).toBe(3);
    const first = dataRequests(sis)[0]!.url.searchParams;
    expect(Object.fromEntries(first)).toEqual({ limit: '10', offset: '0', sort: 'sourcedId', orderBy: 'asc' });
    expect(dataRequests(sis).map((r) => r.url.searchParams.get('offset'))).toEqual(['0', '10', '20']);
    expect(summary).toEqual({ collection: 'users', received: 23, duplicates: 0, invalid: 0, pages: 3, totalCount: 23, complete: true });
    expect(client.lastSummary('users')).toEqual(summary);
  });

  it('loses nothing when the server clamps limit and sends neither X-Total-Count nor Link', async () => {
    sis = await startFakeSis({ collections: { users: users(47) }, clampLimit: 7, totalCount: false, link: false });
    client = newClient(sis, 100);
    const { records, summary } = await readAll(client.read('users'));
    expect(new Set(records.map((r) => r.sourcedId)).size).toBe(47);
    expect(records).toHaveLength(47);
    // Advanced by what was received (7), not by the limit asked (100); ended on the empty page.
    expect(dataRequests(sis).map((r) => Number(r.url.searchParams.get('offset')))).toEqual([0, 7, 14, 21, 28, 35, 42, 47]);
    expect(summary).toMatchObject({ received: 47, totalCount: null, complete: true, pages: 8 });
  });

  it('with a clamped limit and X-Total-Count, stops at the count without an extra request', async () => {
    sis = await startFakeSis({ collections: { users: users(20) }, clampLimit: 5, link: false });
    client = newClient(sis, 100);
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(20);
    expect(dataRequests(sis)).toHaveLength(4);
  });

  it('with only a Link header, stops when there is no rel="next"', async () => {
    sis = await startFakeSis({ collections: { users: users(25) }, totalCount: false });
    client = newClient(sis);
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(25);
    expect(dataRequests(sis)).toHaveLength(3);
  });

  it('de-duplicates records repeated across adjacent pages (unstable order) and counts them', async () => {
    const all = users(30);
    sis = await startFakeSis({
      hook: (req, res, s) => {
        if (!req.path.endsWith('/users')) return false;
        if (!s.validTokens.has(req.headers.authorization?.slice(7) ?? '')) return false;
        const offset = Number(req.url.searchParams.get('offset'));
        // Each later page starts with the previous page's last two records (rows inserted before the cursor).
        const start = offset === 0 ? 0 : offset - 2 * (offset / 10);
        const page = all.slice(start, start + 10);
        return json(res, 200, { users: page });
      },
    });
    client = newClient(sis);
    const { records, summary } = await readAll(client.read('users'));
    const ids = records.map((r) => r.sourcedId);
    expect(new Set(ids).size).toBe(ids.length);
    expect((summary as ReadSummary).duplicates).toBeGreaterThan(0);
    expect(ids).toEqual(all.slice(0, ids.length).map((u) => u.sourcedId));
  });

  it('fails with ROSTERD_SIS_BAD_RESPONSE instead of looping when the server ignores offset', async () => {
    const all = users(10);
    sis = await startFakeSis({
      hook: (req, res, s) =>
        req.path.endsWith('/users') && s.validTokens.has(req.headers.authorization?.slice(7) ?? '') ? json(res, 200, { users: all }, { 'x-total-count': '1000' }) : false,
    });
    client = newClient(sis);
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ code: 'ROSTERD_SIS_BAD_RESPONSE' });
    expect(dataRequests(sis).length).toBeLessThanOrEqual(3);
  });

  it('tolerates malformed Link headers (no angle brackets, bare rel, junk) and still reads everything', async () => {
    const all = users(25);
    sis = await startFakeSis({
      hook: (req, res, s) => {
        if (!req.path.endsWith('/users') || !s.validTokens.has(req.headers.authorization?.slice(7) ?? '')) return false;
        const offset = Number(req.url.searchParams.get('offset'));
        const link = offset + 10 < 25 ? `${s.urlPrefix}/users?offset=${offset + 10}; rel=next,garbage;;, <>; rel=` : 'nonsense without rel';
        return json(res, 200, { users: all.slice(offset, offset + 10) }, { link });
      },
    });
    client = newClient(sis);
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(25);
  });

  it('never follows a Link to another host, and never sends credentials there', async () => {
    const other = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ users: users(5, 'evil') }));
    });
    cleanups.push(other.close);
    const otherRequests: string[] = [];
    other.server.on('request', (req) => otherRequests.push(req.url ?? ''));
    const all = users(15);
    sis = await startFakeSis({
      hook: (req, res, s) => {
        if (!req.path.endsWith('/users') || !s.validTokens.has(req.headers.authorization?.slice(7) ?? '')) return false;
        const offset = Number(req.url.searchParams.get('offset'));
        return json(res, 200, { users: all.slice(offset, offset + 10) }, { link: `<${other.origin}/ims/oneroster/rostering/v1p2/users?offset=${offset + 10}>; rel="next"` });
      },
    });
    client = newClient(sis);
    const { records } = await readAll(client.read('users'));
    expect(records.map((r) => r.sourcedId)).toEqual(all.map((u) => u.sourcedId));
    expect(otherRequests).toEqual([]);
    expect(sis.requests.every((r) => r.headers.host === new URL(sis!.origin).host)).toBe(true);
  });

  it('marks a read incomplete when the server ends before the count it announced', async () => {
    const all = users(12);
    sis = await startFakeSis({
      hook: (req, res, s) => {
        if (!req.path.endsWith('/users') || !s.validTokens.has(req.headers.authorization?.slice(7) ?? '')) return false;
        const offset = Number(req.url.searchParams.get('offset'));
        return json(res, 200, { users: all.slice(offset, offset + 10) }, { 'x-total-count': '20' });
      },
    });
    client = newClient(sis);
    const { records, summary } = await readAll(client.read('users'));
    expect(records).toHaveLength(12);
    expect(summary).toMatchObject({ totalCount: 20, received: 12, complete: false });
  });

  it('reads a nested path with the collection envelope, and drops records without a sourcedId (counted as invalid)', async () => {
    const all = [...users(3), { givenName: 'No Id' }, { sourcedId: '', givenName: 'Empty Id' }, 'not an object'];
    sis = await startFakeSis({
      hook: (req, res, s) =>
        req.path.endsWith('/schools/s1/students') && s.validTokens.has(req.headers.authorization?.slice(7) ?? '')
          ? json(res, 200, { users: req.url.searchParams.get('offset') === '0' ? all : [] })
          : false,
    });
    client = newClient(sis);
    const { records, summary } = await readAll(client.read('users', { path: 'schools/s1/students' }));
    expect(records).toHaveLength(3);
    expect(summary).toMatchObject({ invalid: 3, received: 6 });
  });
});

describe('Link and X-Total-Count parsing', () => {
  const base = 'https://sis.example/ims/oneroster/v1p1/users';
  it('reads next and last with and without brackets and quotes', () => {
    expect(parseLink('<https://x/users?offset=10>; rel="next", <https://x/users?offset=90>; rel="last"', base)).toEqual({ present: true, next: true, lastOffset: 90 });
    expect(parseLink('https://x/users?offset=10; rel=next', base)).toEqual({ present: true, next: true, lastOffset: null });
    expect(parseLink('</users?a=1,2&offset=40>; rel="prev last"', base)).toEqual({ present: true, next: false, lastOffset: 40 });
    expect(parseLink(['<a>; rel="first"', '<b?offset=5>; REL="Next"'], base)).toMatchObject({ next: true });
    expect(parseLink('', base).present).toBe(false);
    expect(parseLink('garbage', base).present).toBe(false);
    expect(parseLink(undefined, base).present).toBe(false);
  });
  it('accepts only whole non-negative counts', () => {
    expect(parseTotalCount('42')).toBe(42);
    expect(parseTotalCount(' 7 ')).toBe(7);
    expect(parseTotalCount('-1')).toBeNull();
    expect(parseTotalCount('12abc')).toBeNull();
    expect(parseTotalCount(undefined)).toBeNull();
  });
});
