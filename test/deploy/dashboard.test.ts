/**
 * The Grafana dashboard: importable structure, its variables, the topics it must show, and (with a live
 * daemon against the simulated SIS) that every metric its queries and the alerts name is really exported.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSim, type RunningSim } from '../../daemon/src/sim/index.js';
import { daemonDir, finishedRuns, getJson, postJson, startDaemon, type DaemonDir, type RunningDaemon } from '../daemon/helpers.js';
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
  let d: DaemonDir | undefined;
  let daemon: RunningDaemon | undefined;
  let scrape = '';

  beforeAll(async () => {
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 7 });
    d = await daemonDir(sim);
    daemon = await startDaemon(d.file);
    expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, d.adminToken!)).status).toBe(202);
    // Both runs finished (and the daemon idle): each counted in rosterd_sync_runs_total.
    await finishedRuns(daemon.base, d.adminToken!, (runs) => runs.length >= 2, 30_000);
    scrape = (await getJson(`${daemon.base}/metrics`)).body as string;
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    await d?.cleanup();
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
