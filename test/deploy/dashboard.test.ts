/**
 * The Grafana dashboard: importable structure, its variables, the topics it must show, and (with a live
 * daemon against the simulated SIS) that every metric its queries and the alerts name is really exported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSim, type RunningSim } from '../../daemon/src/sim/index.js';
import { ROSTERD_BIN } from '../helpers/cli.js';
import { dashboardExpressions, exposedSampleNames, metricNames } from './promql.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DASHBOARD = JSON.parse(readFileSync(join(ROOT, 'deploy/base/grafana-dashboard.json'), 'utf8'));
const RULES = parse(readFileSync(join(ROOT, 'deploy/base/prometheusrule.yaml'), 'utf8'));
const ALERT_EXPRS: string[] = RULES.spec.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));

type Panel = { id: number; type: string; title: string; datasource?: { uid?: string }; targets?: { expr: string; datasource?: { uid?: string } }[]; gridPos?: unknown };
const panels: Panel[] = DASHBOARD.panels;
const queryPanels = panels.filter((p) => p.type !== 'row');

describe('the Grafana dashboard', () => {
  it('has a data source variable and a multi-select integration variable fed by a rosterd metric', () => {
    const vars = DASHBOARD.templating.list as { name: string; type: string; query: unknown; includeAll?: boolean; multi?: boolean; datasource?: { uid?: string } }[];
    const ds = vars.find((v) => v.name === 'datasource');
    expect(ds?.type).toBe('datasource');
    expect(ds?.query).toBe('prometheus');
    const integration = vars.find((v) => v.name === 'integration');
    expect(integration?.type).toBe('query');
    expect(integration?.multi && integration.includeAll).toBe(true);
    expect(integration?.datasource?.uid).toBe('${datasource}');
  });

  it('is importable: a uid, unique panel ids, every panel placed and on the data source variable', () => {
    expect(DASHBOARD.uid).toBe('rosterd');
    expect(DASHBOARD.__inputs).toBeUndefined(); // nothing to answer on import
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of queryPanels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('${datasource}');
    }
  });

  it('filters every per-integration query by the integration variable', () => {
    for (const p of queryPanels) {
      for (const t of p.targets ?? []) {
        const perIntegration = metricNames(t.expr).some((m) => /^rosterd_(sync|roster|oneroster)_/.test(m));
        if (perIntegration) expect(t.expr, `${p.title}: ${t.expr}`).toContain('integration=~"$integration"');
      }
    }
  });

  it('shows every topic the operators asked for', () => {
    const uses = (metric: string) => queryPanels.filter((p) => (p.targets ?? []).some((t) => metricNames(t.expr).some((m) => m.startsWith(metric))));
    const topics: Record<string, string> = {
      'time since last success': 'rosterd_sync_last_success_timestamp_seconds',
      'runs by result': 'rosterd_sync_runs_total',
      durations: 'rosterd_sync_duration_seconds',
      'roster sizes': 'rosterd_roster_objects',
      'changes per kind': 'rosterd_sync_changes_total',
      'data-quality issues by rule': 'rosterd_sync_issues',
      'SIS request rate and error codes': 'rosterd_oneroster_requests_total',
      'config reload status': 'rosterd_config_last_reload_successful',
    };
    for (const [topic, metric] of Object.entries(topics)) expect(uses(metric).length, topic).toBeGreaterThan(0);
    const byRule = uses('rosterd_sync_issues').flatMap((p) => p.targets!.map((t) => t.expr));
    expect(byRule.some((e) => /by \([^)]*\brule\b/.test(e))).toBe(true);
    const errors = uses('rosterd_oneroster_requests_total').flatMap((p) => p.targets!.map((t) => t.expr));
    expect(errors.some((e) => /by \([^)]*\bcode\b/.test(e))).toBe(true);
  });
});

/** A real daemon against the simulated SIS: one classes + students sync, then one /metrics scrape. */
describe.skipIf(!existsSync(join(ROOT, 'dist/cli/run.js')))('against a live /metrics scrape', () => {
  let sim: RunningSim;
  let dir: string;
  let child: ChildProcess | undefined;
  let scrape = '';
  const token = 'dashboard-test-admin-token';

  beforeAll(async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 7 });
    dir = await mkdtemp(join(tmpdir(), 'rosterd-dashboard-'));
    await writeFile(join(dir, 'sis-secret'), `${sim.clientSecret}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'admin-token'), `${token}\n`, { mode: 0o600 });
    const file = join(dir, 'oneroster.yaml');
    await writeFile(
      file,
      `version: 1
storage: { url: "sqlite:./rosterd.db" }
server:
  listen: 127.0.0.1:0
  adminToken: { file: ./admin-token }
exports: { dir: ./exports }
integrations:
  - name: springfield
    sis:
      version: "1.2"
      tokenUrl: ${sim.tokenUrl}
      urlPrefix: ${sim.urlPrefix}
      clientId: ${sim.clientId}
      clientSecret: { file: ./sis-secret }
      orgId: ${sim.orgId}
    schedule: { syncDaily: true, timezone: UTC, classes: "0 22 * * *", students: "0 0 * * *", catchUp: none }
`,
    );
    child = spawn(process.execPath, [ROSTERD_BIN, 'run', '-c', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROSTERD_LOG_LEVEL: 'info' } });
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`daemon not ready in time\n${out}\n${err}`)), 20_000);
      child!.on('close', (code) => reject(new Error(`daemon exited ${code}\n${out}\n${err}`)));
      let listen: string | undefined;
      child!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        for (const line of out.split('\n')) {
          if (!line.startsWith('{')) continue;
          const l = JSON.parse(line) as { msg?: string; listen?: string };
          if (l.msg === 'rosterd starting') listen = l.listen;
          if (l.msg === 'rosterd ready' && listen) {
            clearTimeout(timer);
            resolve(Number(listen.split(':').pop()));
          }
        }
      });
    });
    const base = `http://127.0.0.1:${port}`;
    const started = await fetch(`${base}/api/v1/integrations/springfield/syncs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ job: 'all' }),
    });
    expect(started.status).toBe(202);
    // Both runs finished: each counted in rosterd_sync_runs_total.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      scrape = await (await fetch(`${base}/metrics`)).text();
      // Every result starts at 0 for a configured job: wait for a counted run of each.
      const runs = scrape.split('\n').filter((l) => l.startsWith('rosterd_sync_runs_total{') && !/ 0$/.test(l));
      if (runs.some((l) => l.includes('job="classes"')) && runs.some((l) => l.includes('job="students"'))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const closed = new Promise((r) => child!.once('close', r));
      child.kill('SIGTERM');
      await closed;
    }
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ran both jobs successfully', () => {
    expect(scrape).toMatch(/rosterd_sync_runs_total\{[^}]*job="classes"[^}]*result="succeeded(_with_issues)?"/);
    expect(scrape).toMatch(/rosterd_sync_runs_total\{[^}]*job="students"[^}]*result="succeeded(_with_issues)?"/);
  });

  it('every metric the dashboard queries is exported', () => {
    const exported = exposedSampleNames(scrape);
    const missing = dashboardExpressions(DASHBOARD).flatMap(metricNames).filter((m) => !exported.has(m));
    expect(missing).toEqual([]);
  });

  it('every metric the alerts use is exported', () => {
    const exported = exposedSampleNames(scrape);
    const missing = ALERT_EXPRS.flatMap(metricNames).filter((m) => !exported.has(m));
    expect(missing).toEqual([]);
  });

  it('a name the daemon does not export is caught', () => {
    const exported = exposedSampleNames(scrape);
    expect(metricNames('rate(rosterd_sync_runs_total_typo[5m])').filter((m) => !exported.has(m))).toEqual(['rosterd_sync_runs_total_typo']);
  });
});
