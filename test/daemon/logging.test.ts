import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, effectiveLevel, errorFields } from '../../daemon/src/logging/logger.js';
import { RosterdError } from '../../daemon/src/errors.js';

describe('daemon log', () => {
  it('ROSTERD_LOG_LEVEL wins over daemon.logLevel; unknown values fall back', () => {
    expect(effectiveLevel('warn', {})).toBe('warn');
    expect(effectiveLevel('warn', { ROSTERD_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(effectiveLevel(undefined, { ROSTERD_LOG_LEVEL: 'loud' })).toBe('info');
    expect(effectiveLevel(undefined, {})).toBe('info');
  });

  it('writes one JSON object per line and redacts fields a secret could travel under', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString('utf8')));
    const logger = createLogger('debug', out);
    logger.info({ headers: { authorization: 'Bearer canary-1' }, sis: { clientSecret: 'canary-2' }, token: 'canary-3', integration: 'springfield' }, 'hello');
    logger.debug({ adminToken: 'canary-4' }, 'debug line');
    logger.trace({}, 'below the level');
    await new Promise((r) => setImmediate(r));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', integration: 'springfield' });
    expect(text).not.toMatch(/canary-\d/);
    logger.level = 'warn';
    logger.info({}, 'now hidden');
    await new Promise((r) => setImmediate(r));
    expect(text).not.toContain('now hidden');
  });

  it('logs a user error as its code and readable description, without a stack', () => {
    const f = errorFields(new RosterdError('ROSTERD_SIS_AUTH_FAILED', 'the SIS refused the client credentials', { hint: 'check clientId', dataEffect: 'nothing changed' }));
    expect(f.code).toBe('ROSTERD_SIS_AUTH_FAILED');
    expect(f.err).toContain('Fix: check clientId');
    expect(f.err).not.toMatch(/\n\s+at /);
  });
});
