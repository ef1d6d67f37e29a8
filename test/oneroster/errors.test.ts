import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RosterdError } from '../../daemon/src/errors.js';
import { OneRosterClient } from '../../daemon/src/oneroster/client.js';
import { classifyNetworkError } from '../../daemon/src/oneroster/http.js';
import { emptyRosterError, orgNotFoundError, tokenUnreachableError } from '../../daemon/src/oneroster/errors.js';
import type { SisConfig } from '../../daemon/src/config/types.js';
import { fastRetry, json, readAll, sisConfig, startFakeSis, startServer, users, type FakeSis, type Hook } from './fake-sis.js';

/** The client secret of every test here: no error text may ever contain it. */
const CANARY = 'CANARY-s3cret-Zq81';
const seenErrors: unknown[] = [];

let sis: FakeSis | undefined;
let client: OneRosterClient | undefined;
afterEach(async () => {
  await client?.close();
  await sis?.close();
  client = sis = undefined;
});

async function failWith(hook: Hook | undefined, overrides: Partial<SisConfig> = {}, read: (c: OneRosterClient) => Promise<unknown> = (c) => readAll(c.read('users'))): Promise<RosterdError> {
  sis = await startFakeSis({ collections: { users: users(3), orgs: [] }, clientSecret: CANARY, hook });
  client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis, overrides), getSecret: async () => CANARY, retry: fastRetry });
  const err = await read(client).then(
    () => {
      throw new Error('expected the read to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RosterdError);
  seenErrors.push(err);
  const e = err as RosterdError;
  expect(e.dataEffect).toBe('run failed, roster unchanged');
  expect(e.hint).toBeTruthy();
  // The endpoint is named, without the token URL's query string.
  expect(e.message).toContain('http://127.0.0.1:');
  expect(e.message).not.toContain('app=rosterd');
  return e;
}

const onPath = (suffix: string, answer: Hook): Hook => (req, res, s) => (req.path.endsWith(suffix) ? answer(req, res, s) : false);

describe('SIS errors a user can act on', () => {
  it('ROSTERD_SIS_TOKEN_UNREACHABLE: connection refused on the token URL, without retrying', async () => {
    const closed = await startServer(() => {});
    await closed.close();
    const e = await failWith(undefined, { tokenUrl: `${closed.origin}/oauth/token?app=rosterd` });
    expect(e.code).toBe('ROSTERD_SIS_TOKEN_UNREACHABLE');
    expect(e.message).toContain(`${closed.origin}/oauth/token`);
    expect(e.message).toContain('refused');
    expect(e.hint).toContain('sis.tokenUrl');
  });

  it('ROSTERD_SIS_TOKEN_UNREACHABLE: a token URL that answers 404 is not a token endpoint', async () => {
    const e = await failWith(onPath('/oauth/token', (_q, res) => json(res, 404, {})));
    expect(e.code).toBe('ROSTERD_SIS_TOKEN_UNREACHABLE');
    expect(e.message).toContain('HTTP 404');
  });

  it('ROSTERD_SIS_TOKEN_UNREACHABLE names DNS failures (classified from the resolver error code)', () => {
    expect(classifyNetworkError(Object.assign(new Error('getaddrinfo ENOTFOUND sis.invalid'), { code: 'ENOTFOUND' }))).toBe('dns');
    expect(classifyNetworkError(new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'EAI_AGAIN' }) }))).toBe('dns');
    const e = tokenUnreachableError('https://sis.invalid/oauth/token?key=abc', 'dns', '');
    expect(e.code).toBe('ROSTERD_SIS_TOKEN_UNREACHABLE');
    expect(e.message).toBe('Could not get a token from the SIS token URL https://sis.invalid/oauth/token: its host name does not resolve.');
    expect(e.describe()).toContain('Data: run failed, roster unchanged.');
  });

  it('ROSTERD_SIS_AUTH_FAILED: invalid_client from the token URL', async () => {
    sis = await startFakeSis({ collections: { users: users(1) }, clientSecret: 'the-real-one' });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => CANARY, retry: fastRetry });
    const e = (await readAll(client.read('users')).catch((x: unknown) => x)) as RosterdError;
    seenErrors.push(e);
    expect(e.code).toBe('ROSTERD_SIS_AUTH_FAILED');
    expect(e.message).toMatch(/rejected the client credentials: invalid_client \(HTTP 401\)/);
    expect(e.hint).toContain('sis.clientId');
  });

  it('ROSTERD_SIS_AUTH_FAILED scrubs a secret the SIS echoes back in error_description', async () => {
    const e = await failWith(onPath('/oauth/token', (_q, res) => json(res, 400, { error: 'invalid_client', error_description: `bad secret ${CANARY} for client` })));
    expect(e.code).toBe('ROSTERD_SIS_AUTH_FAILED');
    expect(e.message).toContain('bad secret [redacted] for client');
  });

  it('ROSTERD_SIS_FORBIDDEN: 403 on a read names the scopes requested', async () => {
    const e = await failWith(onPath('/users', (_q, res) => json(res, 403, {})), { scopes: ['scope-one', 'scope-two'] });
    expect(e.code).toBe('ROSTERD_SIS_FORBIDDEN');
    expect(e.message).toContain('/ims/oneroster/rostering/v1p2/users');
    expect(e.message).toContain('scopes requested: scope-one scope-two');
    expect(e.message).not.toContain('offset=');
  });

  it('ROSTERD_SIS_FORBIDDEN: invalid_scope from the token URL', async () => {
    const e = await failWith(onPath('/oauth/token', (_q, res) => json(res, 400, { error: 'invalid_scope' })), { scopes: ['roster.readonly'] });
    expect(e.code).toBe('ROSTERD_SIS_FORBIDDEN');
    expect(e.message).toContain('roster.readonly');
  });

  it('ROSTERD_SIS_NOT_FOUND: a wrong URL prefix or version (404 on the first read)', async () => {
    const e = await failWith(undefined, {}, async (c) => {
      const wrong = new OneRosterClient({ integration: 'test', sis: sisConfig(sis!, { urlPrefix: `${sis!.origin}/ims/oneroster/v1p1` }), getSecret: async () => CANARY });
      try {
        return await readAll(wrong.read('users'));
      } finally {
        await wrong.close();
        void c;
      }
    });
    expect(e.code).toBe('ROSTERD_SIS_NOT_FOUND');
    expect(e.message).toContain('/ims/oneroster/v1p1/users');
    expect(e.hint).toContain('sis.urlPrefix');
  });

  it('ROSTERD_SIS_NOT_JSON: an HTML login page, quoted by its title', async () => {
    const e = await failWith(
      onPath('/users', (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><head><title>District Single Sign-On</title></head><body>Log in</body></html>');
        return true;
      }),
    );
    expect(e.code).toBe('ROSTERD_SIS_NOT_JSON');
    expect(e.message).toContain('an HTML page titled "District Single Sign-On"');
  });

  it('ROSTERD_SIS_NOT_JSON: a redirect to a login page is reported, not followed', async () => {
    let followed = false;
    const e = await failWith((req, res) => {
      if (req.path === '/login') followed = true;
      if (!req.path.endsWith('/users')) return false;
      res.writeHead(302, { location: '/login?session=xyz' });
      res.end();
      return true;
    });
    expect(e.code).toBe('ROSTERD_SIS_NOT_JSON');
    expect(e.message).toMatch(/redirected \(HTTP 302\) to http:\/\/127\.0\.0\.1:\d+\/login/);
    expect(e.message).not.toContain('session=xyz');
    expect(followed).toBe(false);
  });

  it('ROSTERD_SIS_NOT_JSON: plain text where JSON was expected', async () => {
    const e = await failWith(onPath('/users', (_q, res) => (res.writeHead(200, { 'content-type': 'text/plain' }), res.end('Service maintenance'), true)));
    expect(e.code).toBe('ROSTERD_SIS_NOT_JSON');
    expect(e.message).toContain('starting "Service maintenance"');
  });

  it('ROSTERD_SIS_BAD_RESPONSE: JSON of the wrong shape', async () => {
    const e = await failWith(onPath('/users', (_q, res) => json(res, 200, { imsx_codeMajor: 'success' })));
    expect(e.code).toBe('ROSTERD_SIS_BAD_RESPONSE');
    expect(e.message).toContain('"users" list');
  });

  it('ROSTERD_SIS_BAD_RESPONSE: a token response without access_token', async () => {
    const e = await failWith(onPath('/oauth/token', (_q, res) => json(res, 200, { token_type: 'Bearer' })));
    expect(e.code).toBe('ROSTERD_SIS_BAD_RESPONSE');
    expect(e.message).toContain('access_token');
  });

  it('ROSTERD_SIS_RATE_LIMITED, ROSTERD_SIS_UNAVAILABLE and ROSTERD_SIS_TIMEOUT on the token URL too', async () => {
    expect((await failWith(onPath('/oauth/token', (_q, res) => json(res, 429, {}, { 'retry-after': '0' })))).code).toBe('ROSTERD_SIS_RATE_LIMITED');
    await client?.close();
    await sis?.close();
    expect((await failWith(onPath('/oauth/token', (_q, res) => json(res, 502, {})))).code).toBe('ROSTERD_SIS_UNAVAILABLE');
    await client?.close();
    await sis?.close();
    expect((await failWith(onPath('/oauth/token', () => true), { timeoutSeconds: 0.1 })).code).toBe('ROSTERD_SIS_TIMEOUT');
  });

  it('getOrg returns null on 404 and the org otherwise', async () => {
    sis = await startFakeSis({ collections: { orgs: [{ sourcedId: 'd 1', name: 'District', type: 'district', identifier: null }] } });
    client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => 'test-secret' });
    expect(await client.getOrg('missing')).toBeNull();
    expect(client.endpoint('orgs/x')).toBe(`${sis.urlPrefix}/orgs/x`);
    expect(await client.getOrg('d 1')).toMatchObject({ sourcedId: 'd 1', type: 'district', identifier: null, parentId: null });
  });

  it('documents the sync-side codes with a message and a hint', () => {
    const org = orgNotFoundError('http://127.0.0.1:1/p/orgs/x?k=1', 'x', 'it is a department');
    expect(org.code).toBe('ROSTERD_SIS_ORG_NOT_FOUND');
    expect(org.message).not.toContain('k=1');
    const empty = emptyRosterError('http://127.0.0.1:1/p/enrollments', 'enrollments', 1200);
    expect(empty.code).toBe('ROSTERD_SIS_EMPTY_ROSTER');
    expect(empty.message).toContain('1200');
    for (const code of ['ROSTERD_SIS_ORG_NOT_FOUND', 'ROSTERD_SIS_EMPTY_ROSTER']) expect(readFileSync('docs/errors.md', 'utf8')).toContain(`## ${code}`);
  });
});

describe('TLS', () => {
  let dir: string;
  let origin: string;
  let close: () => Promise<void>;
  let opensslMissing = false;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rosterd-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    } catch {
      opensslMissing = true;
      return;
    }
    // A SIS with a certificate from a "district CA" that Node does not trust.
    const fake = await startFakeSis({ collections: { users: users(2) }, tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.pem')) } });
    origin = fake.origin;
    close = fake.close;
  });
  afterAll(async () => {
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsSis = (extra: Partial<SisConfig> = {}) =>
    sisConfig({ tokenUrl: `${origin}/oauth/token`, urlPrefix: `${origin}/ims/oneroster/rostering/v1p2` }, extra);

  it('ROSTERD_SIS_TLS: a certificate from a CA this machine does not trust', async (ctx) => {
    if (opensslMissing) ctx.skip();
    client = new OneRosterClient({ integration: 'test', sis: tlsSis(), getSecret: async () => CANARY, retry: fastRetry });
    const e = (await readAll(client.read('users')).catch((x: unknown) => x)) as RosterdError;
    seenErrors.push(e);
    expect(e.code).toBe('ROSTERD_SIS_TLS');
    expect(e.message).toContain(`${origin}/oauth/token`);
    expect(e.message).toMatch(/self-signed|trusted CA/);
    expect(e.hint).toContain('sis.caFile');
  });

  it('trusts the SIS once sis.caFile points at the district CA (Node roots kept)', async (ctx) => {
    if (opensslMissing) ctx.skip();
    client = new OneRosterClient({ integration: 'test', sis: tlsSis({ caFile: join(dir, 'ca.pem') }), getSecret: async () => 'test-secret' });
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(2);
  });

  it('ROSTERD_SIS_TLS: an unreadable caFile is named', async (ctx) => {
    if (opensslMissing) ctx.skip();
    client = new OneRosterClient({ integration: 'test', sis: tlsSis({ caFile: join(dir, 'missing.pem') }), getSecret: async () => 'test-secret' });
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ code: 'ROSTERD_SIS_TLS', message: expect.stringContaining('missing.pem') });
  });
});

describe('the client secret never leaks', () => {
  it('appears in no message, hint, description, cause chain or inspected error', () => {
    expect(seenErrors.length).toBeGreaterThanOrEqual(14);
    for (const err of seenErrors) {
      const texts: string[] = [inspect(err, { depth: 10, showHidden: true }), JSON.stringify(err)];
      for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
        const x = e as RosterdError;
        texts.push(String(x.message), String(x.hint ?? ''), String(x.stack ?? ''), typeof x.describe === 'function' ? x.describe() : '');
      }
      for (const t of texts) {
        expect(t).not.toContain(CANARY);
        expect(t).not.toContain(encodeURIComponent(CANARY));
        expect(t).not.toContain(Buffer.from(`rosterd-test:${CANARY}`).toString('base64'));
      }
    }
  });
});
