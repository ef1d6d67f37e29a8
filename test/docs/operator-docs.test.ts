/**
 * The operator docs cover what the issue asks for, and the commands and files they point at exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

describe('README', () => {
  const readme = read('README.md');
  it('has the sections operators need', () => {
    for (const heading of ['## Configuration reference', '## Running on Kubernetes', '## Metrics and alerts', "## The config repo's CI step", '## Upgrading']) {
      expect(readme).toContain(heading);
    }
    expect(readme).toContain('npm ci && bash scripts/check-deploy.sh');
    expect(readme).toContain('validate -c oneroster.yaml');
    expect(readme).toContain('plan -c oneroster.yaml --format json');
    expect(readme).toContain('docs/errors.md');
  });

  it('lists every alert of the PrometheusRule and every metric the alerts use', () => {
    const rules = read('deploy/base/prometheusrule.yaml');
    for (const [, alert] of rules.matchAll(/- alert: (\w+)/g)) expect(readme).toContain(`\`${alert}\``);
  });

  it('links only to files that exist', () => {
    for (const [, target] of readme.matchAll(/\]\(((?:docs|deploy|scripts)\/[^)#]+)\)/g)) expect(existsSync(join(ROOT, target!)), target).toBe(true);
  });
});

describe('docs/sis-platforms.md', () => {
  const doc = read('docs/sis-platforms.md');
  const sections = doc.split(/^## /m).slice(1);
  it.each(['Aeries', 'PowerSchool', 'Infinite Campus', 'Synergy', 'Skyward', 'ClassLink'])('covers %s: credentials, URL prefix, token URL, org ID and settings', (platform) => {
    const section = sections.find((s) => s.startsWith(platform));
    expect(section, platform).toBeDefined();
    for (const what of [/\*\*Credentials\*\*/, /URL prefix/, /[Tt]oken URL/, /\*\*orgId\*\*/, /\*\*Settings\*\*/]) expect(section, `${platform} ${what}`).toMatch(what);
  });
});

describe('docs/kubernetes.md', () => {
  it('documents the one command, the Secret and why Recreate', () => {
    const doc = read('docs/kubernetes.md');
    expect(doc).toContain('bash scripts/check-deploy.sh');
    expect(doc).toContain('create secret generic rosterd-sis');
    expect(doc).toMatch(/strategy: Recreate/);
    expect(existsSync(join(ROOT, 'scripts/check-deploy.sh'))).toBe(true);
  });
});
