/**
 * The real CLI as a child process (node bin/rosterd.js after a build): exit codes 0 / 78 / 2, output format,
 * and no stack trace for a user error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../daemon/src/version.js';
import { BASE, edit, TempDir } from '../config/helpers.js';

const tmp = new TempDir();
const BIN = join(PACKAGE_ROOT, 'bin/rosterd.js');

beforeAll(() => {
  // Other modules may be mid-edit by teammates; tsc still emits, so only a missing output is fatal.
  spawnSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: PACKAGE_ROOT });
  readFileSync(join(PACKAGE_ROOT, 'dist/cli/validate.js'));
});
afterAll(() => tmp.remove());

function rosterd(args: string[], env: NodeJS.ProcessEnv = {}, cwd = PACKAGE_ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStackTrace = (s: string) => expect(s).not.toMatch(/\n\s+at .*:\d+:\d+|internal error/);

describe('rosterd validate (child process)', () => {
  it('exits 0 and prints "FILE: ok" for the shipped config and every example', () => {
    const files = ['oneroster.yaml', 'examples/school.yaml', 'examples/district.yaml', 'examples/multi-district.yaml'];
    const r = rosterd(['validate', ...files.flatMap((f) => ['-c', f])]);
    expect(r.stdout.trim().split('\n')).toEqual(files.map((f) => `${f}: ok`));
    expect(r.code).toBe(0);
  });

  it('reads ./oneroster.yaml by default and $ROSTERD_CONFIG when set', () => {
    expect(rosterd(['validate'])).toMatchObject({ code: 0, stdout: 'oneroster.yaml: ok\n' });
    const bad = tmp.write('env-bad.yaml', edit({ 1: 'version: 3' }));
    const r = rosterd(['validate'], { ROSTERD_CONFIG: bad });
    expect(r.code).toBe(78);
    expect(r.stdout).toBe(`${bad}:1:10: version: must be 1\n`);
  });

  it('exits 78 with one FILE:LINE:COLUMN line per problem, checking each file on its own', () => {
    const good = tmp.write('good.yaml', BASE);
    const bad = tmp.write('bad.yaml', edit({ 6: '      tokenUrl: http://sis.example.org/oauth/token', 9: '      clientSecret: sup3r-s3cret' }));
    const r = rosterd(['validate', '-c', bad, '-c', good]);
    expect(r.code).toBe(78);
    expect(r.stdout.split('\n')).toEqual([
      `${bad}:6:17: integrations[0].sis.tokenUrl: http: is allowed only for loopback hosts (127.0.0.1, ::1, localhost), not sis.example.org; use https: so credentials never cross a network in clear text`,
      `${bad}:9:21: integrations[0].sis.clientSecret: clientSecret must be a secret reference such as { env: ROSTERD_SPRINGFIELD_SIS_SECRET } or { file: /var/run/secrets/rosterd/springfield }; never put the secret itself in the config`,
      `${good}: ok`,
      '',
    ]);
    expect(r.stderr).toContain('2 problems in 1 of 2 files; nothing was changed.');
    expect(r.stdout + r.stderr).not.toContain('sup3r-s3cret');
    noStackTrace(r.stderr);
  });

  it('exits 78 for a YAML syntax error and a missing file, without a stack trace', () => {
    const broken = tmp.write('broken.yaml', 'version: 1\nintegrations:\n  - name: "unterminated\n');
    const r = rosterd(['validate', '-c', broken, '-c', join(tmp.path, 'missing.yaml')]);
    expect(r.code).toBe(78);
    expect(r.stdout).toContain(`${broken}:3:11: YAML syntax: the " quote opened here is never closed\n`);
    expect(r.stdout).toContain(`${join(tmp.path, 'missing.yaml')}:1:1: file not found`);
    noStackTrace(r.stderr);
  });

  it('prints JSON with --format json and --json', () => {
    const bad = tmp.write('json-bad.yaml', edit({}, ['    schedule:', '      timezone: Atlantis/Capital']));
    for (const flag of [['--format', 'json'], ['--json']]) {
      const r = rosterd(['validate', '-c', bad, ...flag]);
      expect(r.code).toBe(78);
      expect(JSON.parse(r.stdout)).toEqual({
        files: [
          {
            file: bad,
            ok: false,
            problems: [{ file: bad, line: 12, column: 17, path: 'integrations[0].schedule.timezone', message: 'unknown time zone "Atlantis/Capital"; use an IANA name such as UTC or Pacific/Auckland' }],
          },
        ],
      });
    }
  });

  it('exits 2 for usage errors, without a stack trace', () => {
    for (const args of [['validate', '--format', 'yaml'], ['validate', '--no-such-flag'], ['validate', 'stray-positional']]) {
      const r = rosterd(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^rosterd validate: /);
      noStackTrace(r.stderr);
    }
  });

  it('--resolve-secrets checks the secrets exist, naming the reference and never the value', () => {
    const r1 = rosterd(['validate', '--resolve-secrets']);
    expect(r1.code).toBe(78);
    expect(r1.stdout).toBe('oneroster.yaml:36:21: integrations[0].sis.clientSecret: secret reference env ROSTERD_DEMO_SIS_SECRET cannot be resolved: the environment variable is not set\n');
    const r2 = rosterd(['validate', '--resolve-secrets'], { ROSTERD_DEMO_SIS_SECRET: 'demo-value-xyz' });
    expect(r2).toMatchObject({ code: 0, stdout: 'oneroster.yaml: ok\n' });
    expect(r2.stdout + r2.stderr).not.toContain('demo-value-xyz');
  });

  it('widens the secret policy only from flags and environment', () => {
    const file = tmp.write('vault.yaml', edit({ 9: '      clientSecret: { env: VAULT_SIS_SECRET }' }));
    expect(rosterd(['validate', '-c', file]).code).toBe(78);
    expect(rosterd(['validate', '-c', file, '--allow-secret-env', 'VAULT_']).code).toBe(0);
    expect(rosterd(['validate', '-c', file], { ROSTERD_SECRET_ENV_PREFIXES: 'VAULT_' }).code).toBe(0);
    const dirFile = tmp.write('dir.yaml', edit({ 9: '      clientSecret: { file: /srv/secrets/sis }' }));
    expect(rosterd(['validate', '-c', dirFile]).code).toBe(78);
    expect(rosterd(['validate', '-c', dirFile, '--allow-secret-dir', '/srv/secrets']).code).toBe(0);
    expect(rosterd(['validate', '-c', dirFile], { ROSTERD_SECRET_DIRS: '/opt:/srv/secrets' }).code).toBe(0);
  });
});

describe('rosterd schema and --version (child process)', () => {
  it('prints the schema file byte for byte', () => {
    const r = rosterd(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(PACKAGE_ROOT, 'schemas/oneroster.schema.json'), 'utf8'));
  });

  it('prints the package version', () => {
    const version = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })).toBe(`${version}\n`);
  });
});
