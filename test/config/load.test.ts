/** loadConfig on good configs: defaults, absolute paths, checksum, the shipped files, and --resolve-secrets. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, loadConfigForCommand, secretPolicyFrom } from '../../daemon/src/config/index.js';
import { PACKAGE_ROOT } from '../../daemon/src/version.js';
import { BASE, edit, TempDir } from './helpers.js';

const tmp = new TempDir();
afterAll(() => tmp.remove());
afterEach(() => vi.unstubAllEnvs());

describe('loadConfig', () => {
  it('applies every schema default and the per-version scopes', async () => {
    const file = tmp.write('defaults.yaml', BASE);
    const r = await loadConfig(file);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.dir).toBe(tmp.path);
    expect(r.config.storage.url).toBe(`sqlite:${join(tmp.path, 'data/rosterd.db')}`);
    expect(r.config.server).toEqual({ listen: '127.0.0.1:8080' });
    expect(r.config.exports.dir).toBe(join(tmp.path, 'exports'));
    const [integration] = r.config.integrations;
    expect(integration).toMatchObject({
      name: 'springfield',
      enabled: true,
      sis: {
        clientAuth: 'basic',
        pageSize: 1000,
        timeoutSeconds: 30,
        scopes: ['https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly', 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly'],
      },
      hapara: { classNameFormat: 'CourseName-Period', studentFolders: true, folderNameSuffix: '' },
      schedule: { syncDaily: true, timezone: 'UTC', classes: '0 22 * * *', students: '0 0 * * *' },
    });
  });

  it('uses the 1.1 scopes for a 1.1 SIS and keeps explicit scopes', async () => {
    const v11 = await loadConfig(tmp.write('v11.yaml', edit({ 5: '      version: "1.1"' })));
    expect(v11.ok && v11.config.integrations[0]!.sis.scopes).toEqual([
      'https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly',
      'https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly',
    ]);
    const own = await loadConfig(tmp.write('scopes.yaml', edit({}, ['      scopes: [custom.scope]'])));
    expect(own.ok && own.config.integrations[0]!.sis.scopes).toEqual(['custom.scope']);
  });

  it('makes relative paths absolute against the config folder, not the working directory', async () => {
    const file = tmp.write(
      'paths.yaml',
      edit({ 9: '      clientSecret: { file: secrets/sis }' }, ['      caFile: ca/bundle.pem', 'storage:', '  url: sqlite:db/r.db', 'exports:', '  dir: out', 'server:', '  adminToken: { file: ./admin }']),
    );
    const r = await loadConfig(file);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.storage.url).toBe(`sqlite:${join(tmp.path, 'db/r.db')}`);
    expect(r.config.exports.dir).toBe(join(tmp.path, 'out'));
    expect(r.config.integrations[0]!.sis.clientSecret).toEqual({ file: join(tmp.path, 'secrets/sis') });
    expect(r.config.integrations[0]!.sis.caFile).toBe(join(tmp.path, 'ca/bundle.pem'));
    expect(r.config.server.adminToken).toEqual({ file: join(tmp.path, 'admin') });
  });

  it('keeps sqlite::memory: and absolute sqlite paths as they are', async () => {
    const mem = await loadConfig(tmp.write('mem.yaml', edit({}, ['storage:', '  url: "sqlite::memory:"'])));
    expect(mem.ok && mem.config.storage.url).toBe('sqlite::memory:');
    const abs = await loadConfig(tmp.write('abs.yaml', edit({}, ['storage:', '  url: sqlite:/var/lib/rosterd/r.db'])));
    expect(abs.ok && abs.config.storage.url).toBe('sqlite:/var/lib/rosterd/r.db');
  });

  it('gives a checksum that changes with the content', async () => {
    const a = await loadConfig(tmp.write('c1.yaml', BASE));
    const b = await loadConfig(tmp.write('c2.yaml', BASE));
    const c = await loadConfig(tmp.write('c3.yaml', BASE + '# a comment\n'));
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected valid');
    expect(a.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(a.checksum).toBe(b.checksum);
    expect(a.checksum).not.toBe(c.checksum);
  });

  it('reports a missing file as a problem, not an exception', async () => {
    const r = await loadConfig(join(tmp.path, 'nope.yaml'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ line: 1, column: 1, path: '', message: expect.stringMatching(/file not found/) });
  });

  it('accepts http on every loopback form', async () => {
    for (const host of ['127.0.0.1:8750', '127.1.2.3', 'localhost:8750', '[::1]:8750']) {
      const r = await loadConfig(tmp.write('loop.yaml', edit({ 6: `      tokenUrl: http://${host}/oauth/token`, 7: `      urlPrefix: http://${host}/ims` })));
      expect(r.ok, host).toBe(true);
    }
  });

  it('accepts the five Hāpara formats and templates', async () => {
    for (const f of ['CourseName-Period', 'CourseName-Section', 'CourseName-SISId', 'CourseName-Period-SISId', 'CourseName-Section-SISId', '"{{ course.title }} - {{class.periods}}"']) {
      const r = await loadConfig(tmp.write('fmt.yaml', edit({}, ['    hapara:', `      classNameFormat: ${f}`])));
      expect(r.ok, f).toBe(true);
    }
  });

  it('validates the shipped oneroster.yaml and every example', async () => {
    const files = [join(PACKAGE_ROOT, 'oneroster.yaml'), ...readdirSync(join(PACKAGE_ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => join(PACKAGE_ROOT, 'examples', f))];
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const r = await loadConfig(file);
      expect(r.ok ? [] : r.problems, file).toEqual([]);
    }
  });

  it('ships the demo config the brief describes', async () => {
    const r = await loadConfig(join(PACKAGE_ROOT, 'oneroster.yaml'));
    if (!r.ok) throw new Error('shipped config invalid');
    expect(r.config.integrations).toHaveLength(1);
    expect(r.config.integrations[0]).toMatchObject({
      name: 'demo',
      sis: {
        tokenUrl: 'http://127.0.0.1:8750/oauth/token',
        urlPrefix: 'http://127.0.0.1:8750/ims/oneroster/rostering/v1p2',
        clientId: 'rosterd-demo',
        clientSecret: { env: 'ROSTERD_DEMO_SIS_SECRET' },
        orgId: 'dst-0001',
      },
    });
    expect(r.config.storage.url).toBe(`sqlite:${join(PACKAGE_ROOT, 'data/rosterd.db')}`);
    expect(r.config.exports.dir).toBe(join(PACKAGE_ROOT, 'exports'));
  });

  it('has the multi-district example on two SIS versions', async () => {
    const r = await loadConfig(join(PACKAGE_ROOT, 'examples/multi-district.yaml'));
    if (!r.ok) throw new Error('invalid');
    expect(r.config.integrations.map((i) => i.sis.version).sort()).toEqual(['1.1', '1.2']);
  });
});

describe('secret policy in loadConfig', () => {
  it('allows env names the operator adds by flag or environment, never by the config', async () => {
    const file = tmp.write('home.yaml', edit({ 9: '      clientSecret: { env: SIS_SECRET_SPRINGFIELD }' }));
    expect((await loadConfig(file)).ok).toBe(false);
    expect((await loadConfig(file, { policy: secretPolicyFrom({}, { allowSecretEnv: ['SIS_SECRET_'] }, tmp.path) })).ok).toBe(true);
    expect((await loadConfig(file, { policy: secretPolicyFrom({ ROSTERD_SECRET_ENV_PREFIXES: 'OTHER_,SIS_' }, {}, tmp.path) })).ok).toBe(true);
  });

  it('allows file folders the operator adds by flag or environment', async () => {
    const file = tmp.write('etc.yaml', edit({ 9: '      clientSecret: { file: /etc/rosterd/sis }' }));
    expect((await loadConfig(file)).ok).toBe(false);
    expect((await loadConfig(file, { policy: secretPolicyFrom({}, { allowSecretDir: ['/etc/rosterd'] }, tmp.path) })).ok).toBe(true);
    expect((await loadConfig(file, { policy: secretPolicyFrom({ ROSTERD_SECRET_DIRS: '/opt/x:/etc/rosterd' }, {}, tmp.path) })).ok).toBe(true);
  });

  it('with resolveSecrets reports a missing env var and an empty file at the reference, naming only the reference', async () => {
    vi.stubEnv('ROSTERD_SPRINGFIELD_SIS_SECRET', '');
    tmp.write('empty-secret', '\n');
    const file = tmp.write('resolve.yaml', edit({}, ['server:', '  adminToken: { file: empty-secret }']));
    const r = await loadConfig(file, { resolveSecrets: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.line, p.column, p.path, p.message])).toEqual([
      [9, 21, 'integrations[0].sis.clientSecret', 'secret reference env ROSTERD_SPRINGFIELD_SIS_SECRET cannot be resolved: the environment variable is empty'],
      [12, 15, 'server.adminToken', `secret reference file ${join(tmp.path, 'empty-secret')} cannot be resolved: the file is empty`],
    ]);
  });

  it('with resolveSecrets passes when every secret is there, without the values in the result', async () => {
    vi.stubEnv('ROSTERD_SPRINGFIELD_SIS_SECRET', 'the-sis-secret-value');
    tmp.write('admin-secret', 'the-admin-token\n');
    const r = await loadConfig(tmp.write('resolved.yaml', edit({}, ['server:', '  adminToken: { file: admin-secret }'])), { resolveSecrets: true });
    expect(r.ok).toBe(true);
    expect(JSON.stringify(r)).not.toMatch(/the-sis-secret-value|the-admin-token/);
  });
});

describe('loadConfigForCommand', () => {
  it('returns the config and policy for a good file, with the flags widening the policy', async () => {
    const file = tmp.write('cmd.yaml', edit({ 9: '      clientSecret: { env: VAULT_SIS }' }));
    const got = await loadConfigForCommand([file], { 'allow-secret-env': ['VAULT_'] }, 'text');
    expect(got?.file).toBe(file);
    expect(got?.policy.envPrefixes).toContain('VAULT_');
    expect(got?.policy.fileDirs).toContain(tmp.path);
  });

  it('prints the problems to stderr (text or JSON) and returns null', async () => {
    const file = tmp.write('cmd-bad.yaml', edit({ 9: '      clientSecret: literal' }));
    for (const format of ['text', 'json'] as const) {
      let err = '';
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
        err += String(c);
        return true;
      });
      try {
        expect(await loadConfigForCommand([file], {}, format)).toBeNull();
      } finally {
        spy.mockRestore();
      }
      if (format === 'text') expect(err).toContain(`${file}:9:21: integrations[0].sis.clientSecret: clientSecret must be a secret reference`);
      else expect(JSON.parse(err)).toMatchObject({ files: [{ file, ok: false, problems: [{ line: 9, column: 21, path: 'integrations[0].sis.clientSecret' }] }] });
      expect(err).not.toContain('literal');
    }
  });

  it('refuses more than one file as a usage error', async () => {
    await expect(loadConfigForCommand(['a.yaml', 'b.yaml'], {}, 'text')).rejects.toMatchObject({ code: 'ROSTERD_USAGE' });
  });
});
