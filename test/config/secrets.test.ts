/** Secret references: the policy, resolution from env and files, and that errors name the reference, never the value. */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { describeSecretRef, resolveSecret, secretPolicyFrom } from '../../daemon/src/config/index.js';
import { RosterdError } from '../../daemon/src/errors.js';
import { TempDir } from './helpers.js';

const tmp = new TempDir();
afterAll(() => tmp.remove());
afterEach(() => vi.unstubAllEnvs());

async function failure(p: Promise<unknown>): Promise<RosterdError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RosterdError) return err;
    throw err;
  }
  throw new Error('expected a RosterdError');
}

describe('secretPolicyFrom', () => {
  it('defaults to the secret mount folders, the config folder and ROSTERD_ names', () => {
    expect(secretPolicyFrom({}, {}, '/etc/rosterd')).toEqual({
      fileDirs: ['/var/run/secrets/rosterd', '/run/secrets/rosterd', '/etc/rosterd'],
      envPrefixes: ['ROSTERD_'],
    });
  });

  it('widens from the environment (: and , separated) and from flags', () => {
    const p = secretPolicyFrom({ ROSTERD_SECRET_DIRS: '/a:/b/', ROSTERD_SECRET_ENV_PREFIXES: 'X_, Y_' }, { allowSecretDir: ['/c'], allowSecretEnv: ['Z_'] });
    expect(p.fileDirs).toEqual(['/var/run/secrets/rosterd', '/run/secrets/rosterd', '/a', '/b', '/c']);
    expect(p.envPrefixes).toEqual(['ROSTERD_', 'X_', 'Y_', 'Z_']);
  });
});

describe('resolveSecret', () => {
  const policy = () => secretPolicyFrom({}, {}, tmp.path);

  it('reads an allowed env var', async () => {
    vi.stubEnv('ROSTERD_TEST_SECRET', 's3cret');
    expect(await resolveSecret({ env: 'ROSTERD_TEST_SECRET' }, policy())).toBe('s3cret');
  });

  it('reads a file and trims one trailing newline only', async () => {
    const file = tmp.write('sis-secret', 'abc def \n');
    expect(await resolveSecret({ file }, policy())).toBe('abc def ');
    const crlf = tmp.write('crlf-secret', 'xyz\r\n');
    expect(await resolveSecret({ file: crlf }, policy())).toBe('xyz');
  });

  it('refuses an env var outside the policy without reading it', async () => {
    vi.stubEnv('SOME_OTHER_SECRET', 'never-shown');
    const err = await failure(resolveSecret({ env: 'SOME_OTHER_SECRET' }, policy()));
    expect(err.code).toBe('ROSTERD_SECRET_NOT_ALLOWED');
    expect(err.message).toContain('env SOME_OTHER_SECRET');
    expect(err.describe()).not.toContain('never-shown');
  });

  it('refuses a file outside the allowed folders, including via ..', async () => {
    const err = await failure(resolveSecret({ file: join(tmp.path, '..', 'outside') }, policy()));
    expect(err.code).toBe('ROSTERD_SECRET_NOT_ALLOWED');
  });

  it('refuses a symlink inside an allowed folder that leads outside it', async () => {
    const allowed = join(tmp.path, 'allowed');
    mkdirSync(allowed);
    const outside = tmp.write('outside-secret', 'leaked-value\n');
    symlinkSync(outside, join(allowed, 'link'));
    const err = await failure(resolveSecret({ file: join(allowed, 'link') }, { fileDirs: [allowed], envPrefixes: [] }));
    expect(err.code).toBe('ROSTERD_SECRET_NOT_ALLOWED');
    expect(err.describe()).not.toContain('leaked-value');
  });

  it('reports a missing env var, an empty one, a missing file and an empty file as unavailable, naming the reference', async () => {
    vi.stubEnv('ROSTERD_EMPTY', '  ');
    const empty = tmp.write('empty', '\n');
    const cases: [Parameters<typeof resolveSecret>[0], RegExp][] = [
      [{ env: 'ROSTERD_NOT_SET_ANYWHERE' }, /env ROSTERD_NOT_SET_ANYWHERE cannot be resolved: the environment variable is not set/],
      [{ env: 'ROSTERD_EMPTY' }, /env ROSTERD_EMPTY cannot be resolved: the environment variable is empty/],
      [{ file: join(tmp.path, 'missing') }, /file .*missing cannot be resolved: the file does not exist/],
      [{ file: empty }, /cannot be resolved: the file is empty/],
      [{ file: tmp.path }, /it is a folder/],
    ];
    for (const [ref, message] of cases) {
      const err = await failure(resolveSecret(ref, policy()));
      expect(err.code).toBe('ROSTERD_SECRET_UNAVAILABLE');
      expect(err.message).toMatch(message);
      expect(err.dataEffect).toBe('nothing changed');
    }
  });

  it('describes references', () => {
    expect(describeSecretRef({ env: 'ROSTERD_X' })).toBe('env ROSTERD_X');
    expect(describeSecretRef({ file: '/var/run/secrets/rosterd/x' })).toBe('file /var/run/secrets/rosterd/x');
  });
});
