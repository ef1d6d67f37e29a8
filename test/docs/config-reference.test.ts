/**
 * The README's configuration reference is generated from the schema and must match it; the generator itself
 * reflects schema changes (so the drift check can fail).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts/gen-config-reference.mjs');
const { generate, replaceSection, END } = (await import(SCRIPT)) as {
  generate(schemaText?: string): string;
  replaceSection(readme: string, section: string): string;
  END: string;
};
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SCHEMA = readFileSync(join(ROOT, 'schemas/oneroster.schema.json'), 'utf8');

describe('the configuration reference in README.md', () => {
  it('is up to date with schemas/oneroster.schema.json', () => {
    expect(replaceSection(README, generate())).toBe(README);
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('lists every setting of the schema with its default', () => {
    const section = generate();
    for (const key of ['storage.url', 'server.listen', 'server.adminToken', 'exports.dir', 'daemon.shutdownGraceSeconds', 'integrations[].sis.tokenUrl', 'integrations[].sis.clientAuth', 'integrations[].hapara.classNameFormat', 'integrations[].schedule.catchUp']) {
      expect(section).toContain(`| \`${key}\` |`);
    }
    expect(section).toMatch(/\| `server.listen` \| string \|  \| `"127.0.0.1:8080"` \|/);
    expect(section).toMatch(/\| `integrations\[\].sis.version` \| `"1.1"` \\\| `"1.2"` \| yes \|/);
  });

  it('changes when the schema changes, so the check catches drift', () => {
    const schema = JSON.parse(SCHEMA);
    schema.properties.server.properties.listen.default = '127.0.0.1:9999';
    schema.properties.storage.properties.newSetting = { type: 'boolean', default: false, description: 'A new setting.' };
    const changed = generate(JSON.stringify(schema));
    expect(changed).toContain('`"127.0.0.1:9999"`');
    expect(changed).toContain('| `storage.newSetting` | boolean |  | `false` | A new setting. |');
    expect(replaceSection(README, changed)).not.toBe(README);
  });

  it('keeps the README above the markers as it was (the two commands first)', () => {
    expect(README.split('\n').slice(0, 6).join('\n')).toContain('npm ci && npm run demo');
    expect(README.split('\n').slice(0, 6).join('\n')).toContain('npm ci && npm test');
    expect(README.indexOf(END)).toBeGreaterThan(README.indexOf('<!-- config-reference:start'));
  });
});
