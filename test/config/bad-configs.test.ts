/**
 * Bad configs, one per case: each must be reported at the right line, column and config path, with exit code 78
 * from `rosterd validate` (run in-process here; test/cli/validate.test.ts runs the real binary).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BASE, edit, runValidate, TempDir } from './helpers.js';

interface Case {
  name: string;
  yaml: string;
  line: number;
  column: number;
  path: string;
  message: RegExp;
  args?: string[];
}

const cases: Case[] = [
  // --- YAML itself
  { name: 'YAML syntax: unclosed flow mapping', yaml: edit({ 9: '      clientSecret: { env: ROSTERD_X' }), line: 10, column: 7, path: '', message: /YAML syntax/ },
  { name: 'YAML syntax: bad indentation', yaml: edit({ 8: '     clientId: rosterd' }), line: 8, column: 6, path: '', message: /YAML syntax/ },
  { name: 'YAML syntax: tab indentation', yaml: edit({ 8: '\t\tclientId: rosterd' }), line: 8, column: 1, path: '', message: /YAML syntax.*[Tt]ab/ },
  { name: 'YAML duplicate key', yaml: edit({}, ['version: 1']), line: 11, column: 1, path: '', message: /YAML syntax.*unique/i },
  { name: 'two YAML documents in one file', yaml: BASE + '---\n' + BASE, line: 11, column: 1, path: '', message: /more than one YAML document/ },
  { name: 'YAML syntax: unclosed quote points at the quote', yaml: edit({ 8: '      clientId: "rosterd' }), line: 8, column: 17, path: '', message: /the " quote opened here is never closed/ },
  { name: 'section left empty points at its key', yaml: edit({}, ['storage:']), line: 11, column: 1, path: 'storage', message: /must be a mapping/ },
  {
    name: 'YAML alias bomb is refused, not expanded',
    yaml: 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    line: 1,
    column: 1,
    path: '',
    message: /YAML: .*alias/i,
  },
  { name: 'empty file', yaml: '# nothing here\n', line: 1, column: 1, path: '', message: /the file is empty/ },
  { name: 'root is a list', yaml: '- version: 1\n', line: 1, column: 1, path: '', message: /must be a mapping/ },
  // --- the top level
  { name: 'missing version', yaml: edit({ 1: null }), line: 1, column: 1, path: 'version', message: /"version" is required/ },
  { name: 'wrong version', yaml: edit({ 1: 'version: 2' }), line: 1, column: 10, path: 'version', message: /must be 1/ },
  { name: 'unknown top-level key, close to a known one', yaml: edit({}, ['integration: []']), line: 11, column: 1, path: 'integration', message: /unknown key "integration"; did you mean "integrations"\?/ },
  { name: 'unknown key in storage', yaml: edit({}, ['storage:', '  uri: sqlite:./x.db']), line: 12, column: 3, path: 'storage.uri', message: /did you mean "url"/ },
  { name: 'storage url not sqlite', yaml: edit({}, ['storage:', '  url: mysql://db/rosterd']), line: 12, column: 8, path: 'storage.url', message: /must be sqlite:PATH/ },
  { name: 'server listen without port', yaml: edit({}, ['server:', '  listen: localhost']), line: 12, column: 11, path: 'server.listen', message: /HOST:PORT/ },
  { name: 'server listen port out of range', yaml: edit({}, ['server:', '  listen: 127.0.0.1:70000']), line: 12, column: 11, path: 'server.listen', message: /out of range/ },
  { name: 'adminToken as a literal', yaml: edit({}, ['server:', '  adminToken: s3cr3t-admin-token']), line: 12, column: 15, path: 'server.adminToken', message: /adminToken must be a secret reference such as \{ env: ROSTERD_ADMIN_TOKEN \}/ },
  { name: 'integrations empty', yaml: 'version: 1\nintegrations: []\n', line: 2, column: 15, path: 'integrations', message: /at least one/ },
  { name: 'integrations a mapping', yaml: 'version: 1\nintegrations:\n  name: x\n', line: 3, column: 3, path: 'integrations', message: /must be a list/ },
  // --- an integration
  { name: 'name with capitals', yaml: edit({ 3: '  - name: Springfield' }), line: 3, column: 11, path: 'integrations[0].name', message: /lower-case letters, digits and dashes/ },
  { name: 'duplicate integration names', yaml: edit({}, BASE.split('\n').slice(2, 10)), line: 11, column: 11, path: 'integrations[1].name', message: /already used by integrations\[0\]/ },
  { name: 'enabled not a boolean', yaml: edit({ 3: '  - name: springfield\n    enabled: "yes"' }), line: 4, column: 14, path: 'integrations[0].enabled', message: /must be true or false/ },
  { name: 'missing sis', yaml: 'version: 1\nintegrations:\n  - name: springfield\n', line: 3, column: 5, path: 'integrations[0].sis', message: /"sis" is required/ },
  { name: 'missing orgId points at sis', yaml: edit({ 10: null }), line: 4, column: 5, path: 'integrations[0].sis.orgId', message: /"orgId" is required/ },
  { name: 'unknown key in sis', yaml: edit({}, ['      pagesize: 10']), line: 11, column: 7, path: 'integrations[0].sis.pagesize', message: /did you mean "pageSize"/ },
  { name: 'unknown key far from any', yaml: edit({}, ['      colour: blue']), line: 11, column: 7, path: 'integrations[0].sis.colour', message: /unknown key "colour" \(known keys: version, / },
  // --- sis values
  { name: 'sis version unquoted', yaml: edit({ 5: '      version: 1.2' }), line: 5, column: 16, path: 'integrations[0].sis.version', message: /one of "1.1", "1.2", in quotes/ },
  { name: 'sis version unknown', yaml: edit({ 5: '      version: "2.0"' }), line: 5, column: 16, path: 'integrations[0].sis.version', message: /must be one of "1.1", "1.2"$/ },
  { name: 'tokenUrl http to a remote host', yaml: edit({ 6: '      tokenUrl: http://sis.example.org/oauth/token' }), line: 6, column: 17, path: 'integrations[0].sis.tokenUrl', message: /http: is allowed only for loopback.*not sis\.example\.org/ },
  { name: 'tokenUrl not absolute', yaml: edit({ 6: '      tokenUrl: sis.example.org/oauth/token' }), line: 6, column: 17, path: 'integrations[0].sis.tokenUrl', message: /absolute URL/ },
  { name: 'urlPrefix ftp', yaml: edit({ 7: '      urlPrefix: ftp://sis.example.org/ims' }), line: 7, column: 18, path: 'integrations[0].sis.urlPrefix', message: /must be an https: URL, not ftp:/ },
  { name: 'urlPrefix with credentials', yaml: edit({ 7: '      urlPrefix: https://user:pw@sis.example.org/ims' }), line: 7, column: 18, path: 'integrations[0].sis.urlPrefix', message: /must not contain a user name or password/ },
  { name: 'clientSecret literal', yaml: edit({ 9: '      clientSecret: hunter2-very-secret' }), line: 9, column: 21, path: 'integrations[0].sis.clientSecret', message: /clientSecret must be a secret reference such as \{ env: ROSTERD_SPRINGFIELD_SIS_SECRET \} or \{ file: \/var\/run\/secrets\/rosterd\/springfield \}; never put the secret itself/ },
  { name: 'clientSecret with both env and file', yaml: edit({ 9: '      clientSecret: { env: ROSTERD_A, file: /run/secrets/rosterd/a }' }), line: 9, column: 21, path: 'integrations[0].sis.clientSecret', message: /exactly one of env or file/ },
  { name: 'clientSecret misspelt key', yaml: edit({ 9: '      clientSecret: { envv: ROSTERD_A }' }), line: 9, column: 23, path: 'integrations[0].sis.clientSecret.envv', message: /did you mean "env"/ },
  { name: 'clientSecret env outside the policy', yaml: edit({ 9: '      clientSecret: { env: HOME }' }), line: 9, column: 21, path: 'integrations[0].sis.clientSecret', message: /env HOME is not allowed.*ROSTERD_/ },
  { name: 'clientSecret file outside the policy', yaml: edit({ 9: '      clientSecret: { file: /etc/passwd }' }), line: 9, column: 21, path: 'integrations[0].sis.clientSecret', message: /file \/etc\/passwd is not allowed/ },
  { name: 'clientSecret relative file escaping the config folder', yaml: edit({ 9: '      clientSecret: { file: ../../etc/shadow }' }), line: 9, column: 21, path: 'integrations[0].sis.clientSecret', message: /is not allowed/ },
  { name: 'clientAuth unknown', yaml: edit({}, ['      clientAuth: token']), line: 11, column: 19, path: 'integrations[0].sis.clientAuth', message: /must be one of "basic", "body"/ },
  { name: 'pageSize zero', yaml: edit({}, ['      pageSize: 0']), line: 11, column: 17, path: 'integrations[0].sis.pageSize', message: /at least 1/ },
  { name: 'pageSize too big', yaml: edit({}, ['      pageSize: 20000']), line: 11, column: 17, path: 'integrations[0].sis.pageSize', message: /at most 10000/ },
  { name: 'pageSize fractional', yaml: edit({}, ['      pageSize: 10.5']), line: 11, column: 17, path: 'integrations[0].sis.pageSize', message: /whole number/ },
  { name: 'timeoutSeconds as a string', yaml: edit({}, ['      timeoutSeconds: "30"']), line: 11, column: 23, path: 'integrations[0].sis.timeoutSeconds', message: /whole number/ },
  { name: 'scopes not a list', yaml: edit({}, ['      scopes: roster.readonly']), line: 11, column: 15, path: 'integrations[0].sis.scopes', message: /must be a list/ },
  { name: 'scope entry empty', yaml: edit({}, ['      scopes: ["a", ""]']), line: 11, column: 21, path: 'integrations[0].sis.scopes[1]', message: /must not be empty/ },
  // --- hapara
  { name: 'classNameFormat unknown', yaml: edit({}, ['    hapara:', '      classNameFormat: CourseName-Teacher']), line: 12, column: 24, path: 'integrations[0].hapara.classNameFormat', message: /neither a class-name format/ },
  { name: 'template with an unknown token', yaml: edit({}, ['    hapara:', '      classNameFormat: "{{course.name}} ({{term.title}})"']), line: 12, column: 24, path: 'integrations[0].hapara.classNameFormat', message: /unknown template token "\{\{course\.name\}\}"/ },
  { name: 'template with unbalanced braces', yaml: edit({}, ['    hapara:', '      classNameFormat: "{{course.title} - {{term.title}}"']), line: 12, column: 24, path: 'integrations[0].hapara.classNameFormat', message: /never closed/ },
  { name: 'studentFolders not a boolean', yaml: edit({}, ['    hapara:', '      studentFolders: 1']), line: 12, column: 23, path: 'integrations[0].hapara.studentFolders', message: /true or false/ },
  { name: 'folderNameSuffix a number', yaml: edit({}, ['    hapara:', '      folderNameSuffix: 2026']), line: 12, column: 25, path: 'integrations[0].hapara.folderNameSuffix', message: /must be a string/ },
  // --- schedule
  { name: 'unknown time zone', yaml: edit({}, ['    schedule:', '      timezone: Mars/Olympus_Mons']), line: 12, column: 17, path: 'integrations[0].schedule.timezone', message: /unknown time zone "Mars\/Olympus_Mons"/ },
  { name: 'bad cron hour', yaml: edit({}, ['    schedule:', '      classes: "0 25 * * *"']), line: 12, column: 16, path: 'integrations[0].schedule.classes', message: /invalid cron expression "0 25 \* \* \*"/ },
  { name: 'cron in words', yaml: edit({}, ['    schedule:', '      students: every night']), line: 12, column: 17, path: 'integrations[0].schedule.students', message: /invalid cron expression "every night"/ },
  { name: 'schedule key misspelt', yaml: edit({}, ['    schedule:', '      timeZone: UTC']), line: 12, column: 7, path: 'integrations[0].schedule.timeZone', message: /did you mean "timezone"/ },
  { name: 'syncDaily as yes (YAML 1.2 keeps it a string)', yaml: edit({}, ['    schedule:', '      syncDaily: yes']), line: 12, column: 18, path: 'integrations[0].schedule.syncDaily', message: /true or false/ },
];

const tmp = new TempDir();
afterAll(() => tmp.remove());

describe('rosterd validate reports each bad config at its place, exit 78', () => {
  cases.forEach((c, i) => {
    it(c.name, async () => {
      const file = tmp.write(`case-${i}.yaml`, c.yaml);
      const { code, files } = await runValidate(['-c', file, ...(c.args ?? [])]);
      expect(code).toBe(78);
      expect(files).toHaveLength(1);
      expect(files[0]!.ok).toBe(false);
      const problem = files[0]!.problems.find((p) => p.path === c.path);
      expect(problem, `no problem at path "${c.path}"; got ${JSON.stringify(files[0]!.problems)}`).toBeDefined();
      expect(problem!.message).toMatch(c.message);
      expect({ line: problem!.line, column: problem!.column }).toEqual({ line: c.line, column: c.column });
      expect(problem!.file).toBe(file);
    });
  });

  it('the base config of these cases is itself valid (so each case fails for its own reason)', async () => {
    const { code, files } = await runValidate(['-c', tmp.write('base.yaml', BASE)]);
    expect(files[0]!.problems).toEqual([]);
    expect(code).toBe(0);
  });

  it('reports every problem in a file, in file order, not just the first', async () => {
    const yaml = edit({ 3: '  - name: Bad_Name', 6: '      tokenUrl: http://sis.example.org/t', 9: '      clientSecret: plain' }, ['    schedule:', '      timezone: Nowhere/Special', '      classes: "* * *"']);
    const { code, files } = await runValidate(['-c', tmp.write('many.yaml', yaml)]);
    expect(code).toBe(78);
    expect(files[0]!.problems.map((p) => [p.line, p.path])).toEqual([
      [3, 'integrations[0].name'],
      [6, 'integrations[0].sis.tokenUrl'],
      [9, 'integrations[0].sis.clientSecret'],
      [12, 'integrations[0].schedule.timezone'],
      [13, 'integrations[0].schedule.classes'],
    ]);
  });

  it('never echoes a literal secret', async () => {
    const { stdout } = await runValidate(['-c', tmp.write('literal.yaml', edit({ 9: '      clientSecret: hunter2-very-secret' }, ['server:', '  adminToken: "adm1n-t0ken"']))]);
    expect(stdout).toContain('clientSecret must be a secret reference');
    expect(stdout).not.toContain('hunter2');
    expect(stdout).not.toContain('adm1n');
  });

  it('never echoes a password in a URL', async () => {
    const { stdout } = await runValidate(['-c', tmp.write('pw.yaml', edit({ 6: '      tokenUrl: https://rosterd:Pa55word@sis.example.org/t' }))]);
    expect(stdout).toContain('must not contain a user name or password');
    expect(stdout).not.toContain('Pa55word');
  });
});
