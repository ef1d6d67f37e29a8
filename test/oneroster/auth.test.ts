import { afterEach, describe, expect, it } from 'vitest';
import { OneRosterClient } from '../../daemon/src/oneroster/client.js';
import { refreshAfterMs } from '../../daemon/src/oneroster/auth.js';
import { json, readAll, sisConfig, startFakeSis, users, type FakeSis } from './fake-sis.js';

let sis: FakeSis | undefined;
let client: OneRosterClient | undefined;
afterEach(async () => {
  await client?.close();
  await sis?.close();
  client = sis = undefined;
});

function tokenRequests(s: FakeSis) {
  return s.requests.filter((r) => r.path === '/oauth/token');
}

describe('OAuth2 client credentials', () => {
  it('sends Basic auth with form-encoded id and secret, grant_type, scopes, and keeps the token URL query string', async () => {
    sis = await startFakeSis({ collections: { users: users(3) }, clientId: 'id with space', clientSecret: 's3cr:t&+é' });
    client = new OneRosterClient({
      integration: 'test',
      sis: sisConfig(sis, { clientId: 'id with space', scopes: ['scope-a', 'scope-b'] }),
      getSecret: async () => 's3cr:t&+é',
    });
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(3);
    const [tokenReq] = tokenRequests(sis);
    expect(tokenReq!.method).toBe('POST');
    expect(tokenReq!.url.searchParams.get('app')).toBe('rosterd');
    expect(tokenReq!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const decoded = Buffer.from(tokenReq!.headers.authorization!.slice(6), 'base64').toString();
    expect(decoded).toBe('id+with+space:s3cr%3At%26%2B%C3%A9');
    const form = new URLSearchParams(tokenReq!.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('scope-a scope-b');
    expect(form.has('client_secret')).toBe(false);
  });

  it('sends client_id and client_secret in the body when clientAuth is body, and no Authorization header', async () => {
    sis = await startFakeSis({ collections: { users: users(2) } });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis, { clientAuth: 'body', scopes: [] }), getSecret: async () => 'test-secret' });
    await readAll(client.read('users'));
    const [tokenReq] = tokenRequests(sis);
    expect(tokenReq!.headers.authorization).toBeUndefined();
    const form = new URLSearchParams(tokenReq!.body);
    expect(form.get('client_id')).toBe('rosterd-test');
    expect(form.get('client_secret')).toBe('test-secret');
    expect(form.has('scope')).toBe(false);
  });

  it('caches the token across pages and collections, and shares one in-flight token request between concurrent reads', async () => {
    sis = await startFakeSis({ collections: { users: users(25), orgs: [{ sourcedId: 's1', name: 'School', type: 'school' }] } });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => 'test-secret' });
    await Promise.all([readAll(client.read('users')), readAll(client.read('orgs')), client.getOrg('s1')]);
    expect(tokenRequests(sis)).toHaveLength(1);
    expect(sis.requests.filter((r) => r.path.includes('/users'))).toHaveLength(3);
  });

  it('on a 401 drops the token, fetches a new one (calling getSecret again) and retries the request once', async () => {
    sis = await startFakeSis({ collections: { users: users(25) } });
    let secretCalls = 0;
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => (secretCalls++, 'test-secret') });
    const gen = client.read('users');
    await gen.next();
    sis.validTokens.clear(); // the SIS expires the token early
    const rest = await readAll(gen);
    expect(rest.records).toHaveLength(15);
    expect(tokenRequests(sis)).toHaveLength(2);
    expect(secretCalls).toBe(2);
  });

  it('a data endpoint that rejects even a fresh token fails with ROSTERD_SIS_AUTH_FAILED after exactly one retry', async () => {
    sis = await startFakeSis({
      collections: { users: users(1) },
      hook: (req, res) => (req.path.endsWith('/users') ? json(res, 401, { error: 'invalid_token' }) : false),
    });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => 'test-secret' });
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ code: 'ROSTERD_SIS_AUTH_FAILED', dataEffect: 'run failed, roster unchanged' });
    expect(sis.requests.filter((r) => r.path.endsWith('/users'))).toHaveLength(2);
    expect(tokenRequests(sis)).toHaveLength(2);
  });

  it('refreshes a token early, before the SIS would reject it', async () => {
    // expires_in 1 s: refreshed after 0.8 s, so a read 0.9 s later fetches a new token without a 401 first.
    sis = await startFakeSis({ collections: { users: users(2) }, expiresIn: 1 });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => 'test-secret' });
    await readAll(client.read('users'));
    await new Promise((r) => setTimeout(r, 900));
    await readAll(client.read('users'));
    expect(tokenRequests(sis)).toHaveLength(2);
    expect(sis.requests.filter((r) => r.path.endsWith('/users') && r.headers.authorization === 'Bearer tok-1')).toHaveLength(1);
    expect(sis.requests.filter((r) => r.path.endsWith('/users') && r.headers.authorization === 'Bearer tok-2')).toHaveLength(1);
  });

  it('keeps a token without expires_in until a 401', async () => {
    sis = await startFakeSis({ collections: { users: users(2) }, expiresIn: null });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => 'test-secret' });
    await readAll(client.read('users'));
    await readAll(client.read('users'));
    expect(tokenRequests(sis)).toHaveLength(1);
  });

  it('picks the refresh point: 80 % of the lifetime or 60 s before expiry, whichever is first', () => {
    expect(refreshAfterMs(3600)).toBe(2_880_000);
    expect(refreshAfterMs(200)).toBe(140_000);
    expect(refreshAfterMs('300')).toBe(240_000);
    expect(refreshAfterMs(30)).toBe(24_000);
    expect(refreshAfterMs(undefined)).toBe(Infinity);
    expect(refreshAfterMs(0)).toBe(Infinity);
    expect(refreshAfterMs('soon')).toBe(Infinity);
  });

  it('uses a rotated secret on the next token request', async () => {
    sis = await startFakeSis({ collections: { users: users(1) }, clientSecret: 'old' });
    let secret = 'old';
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => secret });
    await readAll(client.read('users'));
    sis.options.clientSecret = secret = 'new';
    sis.validTokens.clear();
    await expect(readAll(client.read('users'))).resolves.toMatchObject({ records: [{ sourcedId: 'u0000' }] });
    const tokenReqs = tokenRequests(sis);
    expect(tokenReqs).toHaveLength(2);
    expect(Buffer.from(tokenReqs[1]!.headers.authorization!.slice(6), 'base64').toString()).toBe('rosterd-test:new');
  });
});
