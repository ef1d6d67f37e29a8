import { afterEach, describe, expect, it } from 'vitest';
import { OneRosterClient, type RequestCode } from '../../daemon/src/oneroster/client.js';
import { backoffDelayMs, nextDelayMs, parseRetryAfterMs, defaultRetryPolicy } from '../../daemon/src/oneroster/retry.js';
import type { SisConfig } from '../../daemon/src/config/types.js';
import { fastRetry, json, readAll, sisConfig, startFakeSis, users, type FakeSis, type Hook } from './fake-sis.js';

let sis: FakeSis | undefined;
let client: OneRosterClient | undefined;
afterEach(async () => {
  await client?.close();
  await sis?.close();
  client = sis = undefined;
});

interface Seen {
  code: RequestCode;
  kind: 'token' | 'data';
  seconds: number;
}

/** A fake SIS whose users endpoint fails `times` times with `fail` (then behaves), and a client observing every attempt. */
async function setup(fail: Hook, times: number, overrides: Partial<SisConfig> = {}, signal?: AbortSignal) {
  let failures = 0;
  sis = await startFakeSis({
    collections: { users: users(5) },
    hook: (req, res, s) => {
      if (!req.path.endsWith('/users') || failures >= times) return false;
      failures++;
      return fail(req, res, s);
    },
  });
  const seen: Seen[] = [];
  client = new OneRosterClient({
    integration: 'district-a',
    sis: sisConfig(sis, overrides),
    getSecret: async () => 'test-secret',
    retry: fastRetry,
    signal,
    observer: {
      request: (e) => {
        expect(e.integration).toBe('district-a');
        seen.push({ code: e.code, kind: e.kind, seconds: e.seconds });
      },
    },
  });
  return { seen, client };
}

const dataCodes = (seen: Seen[]) => seen.filter((s) => s.kind === 'data').map((s) => s.code);

describe('retries', () => {
  it('waits for Retry-After in seconds on 429, then succeeds; the observer sees every attempt', async () => {
    const { seen, client } = await setup((_req, res) => json(res, 429, { error: 'slow down' }, { 'retry-after': '1' }), 1);
    const started = Date.now();
    const { records } = await readAll(client.read('users'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(records).toHaveLength(5);
    expect(seen[0]).toMatchObject({ kind: 'token', code: 200 });
    expect(dataCodes(seen)).toEqual([429, 200]);
    expect(seen.every((s) => s.seconds >= 0 && s.seconds < 5)).toBe(true);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { seen, client } = await setup((_req, res) => json(res, 429, {}, { 'retry-after': new Date(Date.now() + 1800).toUTCString() }), 1);
    const started = Date.now();
    await readAll(client.read('users'));
    // The date has whole seconds, so the wait is between 0.8 and 1.8 s, cut to the 1 s cap of the test policy.
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(dataCodes(seen)).toEqual([429, 200]);
  });

  it('gives up on a 429 that never clears with ROSTERD_SIS_RATE_LIMITED', async () => {
    const { seen, client } = await setup((_req, res) => json(res, 429, {}, { 'retry-after': '0' }), 100);
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ code: 'ROSTERD_SIS_RATE_LIMITED', message: expect.stringContaining('4 attempts') });
    expect(dataCodes(seen)).toEqual([429, 429, 429, 429]);
  });

  it('retries 502, 503 and 504 with backoff', async () => {
    const statuses = [502, 503, 504];
    const { seen, client } = await setup((_req, res) => json(res, statuses.shift()!, {}), 3);
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(5);
    expect(dataCodes(seen)).toEqual([502, 503, 504, 200]);
  });

  it('fails with ROSTERD_SIS_UNAVAILABLE on 503s that do not stop', async () => {
    const { client } = await setup((_req, res) => json(res, 503, {}), 100);
    const err = await readAll(client.read('users')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ROSTERD_SIS_UNAVAILABLE', dataEffect: 'run failed, roster unchanged' });
    expect((err as Error).message).toMatch(/HTTP 503 Service Unavailable after 4 attempts/);
  });

  it('does not retry a 500, and reports it as unavailable', async () => {
    const { seen, client } = await setup((_req, res) => json(res, 500, {}), 100);
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ code: 'ROSTERD_SIS_UNAVAILABLE' });
    expect(dataCodes(seen)).toEqual([500]);
  });

  it('retries connection resets', async () => {
    const { seen, client } = await setup((_req, res) => (res.socket?.destroy(), true), 2);
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(5);
    expect(dataCodes(seen)).toEqual(['reset', 'reset', 200]);
  });

  it('fails with ROSTERD_SIS_UNAVAILABLE when the connection keeps being reset', async () => {
    const { client } = await setup((_req, res) => (res.socket?.destroy(), true), 100);
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ code: 'ROSTERD_SIS_UNAVAILABLE', message: expect.stringContaining('reset') });
  });

  it('times out a request whose headers never come, retries, then fails with ROSTERD_SIS_TIMEOUT', async () => {
    const { seen, client } = await setup(() => true /* never answers */, 100, { timeoutSeconds: 0.15 });
    const started = Date.now();
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ code: 'ROSTERD_SIS_TIMEOUT', message: expect.stringContaining('0.15 s') });
    expect(dataCodes(seen)).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a body that trickles forever', async () => {
    const { seen, client } = await setup(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"users": [');
        const timer = setInterval(() => res.write(' '), 30);
        res.on('close', () => clearInterval(timer));
        return true;
      },
      1,
      { timeoutSeconds: 0.3 },
    );
    const { records } = await readAll(client.read('users'));
    expect(records).toHaveLength(5);
    expect(dataCodes(seen)).toEqual(['timeout', 200]);
  });

  it('aborts promptly, mid-backoff, when the signal fires', async () => {
    const controller = new AbortController();
    const { client } = await setup((_req, res) => json(res, 503, {}, { 'retry-after': '1' }), 100, {}, controller.signal);
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await readAll(client.read('users')).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('aborts an in-flight request when the signal fires', async () => {
    const controller = new AbortController();
    const { client } = await setup(() => true, 100, { timeoutSeconds: 30 }, controller.signal);
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(readAll(client.read('users'))).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(800);
  });
});

describe('retry timing', () => {
  it('grows exponentially, is capped, and jitters within the upper half', () => {
    const p = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, p, () => 0)).toBe(50);
    expect(backoffDelayMs(1, p, () => 1)).toBe(100);
    expect(backoffDelayMs(3, p, () => 1)).toBe(400);
    expect(backoffDelayMs(10, p, () => 1)).toBe(1000);
    expect(backoffDelayMs(10, p, () => 0)).toBe(500);
  });
  it('parses Retry-After seconds and dates, and caps it', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeNull();
    expect(parseRetryAfterMs(undefined, now)).toBeNull();
    expect(nextDelayMs(1, 3_600_000, defaultRetryPolicy)).toBe(120_000);
  });
});
