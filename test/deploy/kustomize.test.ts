/**
 * deploy/: kustomize renders the base and every overlay, the render passes the schema, strict-field and
 * pod-rule checks of scripts/validate-manifests.mjs (which also rejects what it should), and every deploy
 * config passes `rosterd validate`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KUSTOMIZATIONS = ['deploy/base', ...readdirSync(join(ROOT, 'deploy/overlays')).map((o) => `deploy/overlays/${o}`)];
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

function render(dir: string): string {
  const r = spawnSync('kubectl', ['kustomize', join(ROOT, dir)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function validate(yaml: string) {
  return spawnSync(process.execPath, [join(ROOT, 'scripts/validate-manifests.mjs'), '-'], { input: yaml, encoding: 'utf8', cwd: ROOT });
}

describe.skipIf(!kubectl)('kubectl kustomize', () => {
  for (const dir of KUSTOMIZATIONS) {
    it(`${dir} renders and validates`, () => {
      const yaml = render(dir);
      const kinds = parseAllDocuments(yaml).map((d) => (d.toJS() as { kind: string }).kind);
      expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'PersistentVolumeClaim', 'ConfigMap', 'ServiceMonitor', 'PrometheusRule']));
      const r = validate(yaml);
      expect(r.status, r.stderr).toBe(0);
    }, 30_000);
  }

  it('the example overlay sets its namespace, image and config on every object', () => {
    const docs = parseAllDocuments(render('deploy/overlays/example')).map((d) => d.toJS());
    for (const o of docs.filter((d) => d.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('rosterd');
    const dep = docs.find((d) => d.kind === 'Deployment');
    expect(dep.spec.template.spec.containers[0].image).toMatch(/^registry\.example\.org\/platform\/rosterd:/);
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'rosterd-config');
    expect(cm.data['oneroster.yaml']).toContain('name: shelbyville');
  });

  it('rejects a render that breaks the schema, names an unknown field or weakens the pod', () => {
    const yaml = render('deploy/overlays/example');
    const cases: [string, string, RegExp][] = [
      ['periodSeconds: 5', 'periodSeconds: "5"', /periodSeconds must be integer/],
      ['readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true', /'"readOnlyRootFileSystem"' does not exist/],
      ['type: Recreate', 'type: RollingUpdate', /strategy.type must be Recreate/],
      ['terminationGracePeriodSeconds: 45', 'terminationGracePeriodSeconds: 20', /terminationGracePeriodSeconds \(20\) must be above daemon.shutdownGraceSeconds \(25\)/],
      ['path: /livez', 'path: /healthz', /livenessProbe must GET \/livez/],
    ];
    for (const [from, to, message] of cases) {
      expect(yaml, from).toContain(from);
      const r = validate(yaml.replace(from, to));
      expect(r.status, from).toBe(1);
      expect(r.stderr, from).toMatch(message);
    }
  }, 60_000);
});

describe('the deploy configs', () => {
  it('pass rosterd validate', async () => {
    const configs = ['deploy/base/oneroster.yaml', ...readdirSync(join(ROOT, 'deploy/overlays')).map((o) => `deploy/overlays/${o}/oneroster.yaml`)];
    const r = await runCli(['validate', ...configs.flatMap((c) => ['-c', join(ROOT, c)])]);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
  });
});
