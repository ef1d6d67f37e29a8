/**
 * The alert rules: the alerts the operators asked for exist, each has runbook text and promtool unit tests
 * that make it fire, every metric they use is one rosterd exports (names fixed by the daemon's contract),
 * and promtool accepts the rules and passes the tests (where promtool is installed; CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { metricNames } from './promql.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RULE = parse(readFileSync(join(ROOT, 'deploy/base/prometheusrule.yaml'), 'utf8'));
const TESTS = parse(readFileSync(join(ROOT, 'deploy/tests/alerts.test.yaml'), 'utf8'));
type Rule = { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
const RULES: Rule[] = RULE.spec.groups.flatMap((g: { rules: Rule[] }) => g.rules);
type AlertTest = { alertname: string; exp_alerts: unknown[] };
const ALERT_TESTS: AlertTest[] = TESTS.tests.flatMap((t: { alert_rule_test?: AlertTest[] }) => t.alert_rule_test ?? []);

/** The daemon's metric families (fixed by the daemon's contract); histograms add _bucket, _sum, _count. */
const EXPORTED = [
  'rosterd_build_info', 'rosterd_config_last_reload_successful', 'rosterd_config_last_reload_success_timestamp_seconds',
  'rosterd_config_reloads_total', 'rosterd_sync_runs_total', 'rosterd_sync_last_success_timestamp_seconds',
  'rosterd_sync_running', 'rosterd_sync_held', 'rosterd_sync_kept', 'rosterd_sync_next_run_timestamp_seconds', 'rosterd_roster_objects',
  'rosterd_sync_changes_total', 'rosterd_sync_issues', 'rosterd_oneroster_requests_total',
  ...['rosterd_sync_duration_seconds', 'rosterd_oneroster_request_duration_seconds'].flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
];

describe('the PrometheusRule', () => {
  it('alerts on each condition the operators asked for', () => {
    const uses = (alert: string) => RULES.find((r) => r.alert === alert);
    // a sync failing; no success for over a day; a held run; reloads failing; credentials rejected; rate limiting
    expect(uses('RosterdSyncFailing')?.expr).toMatch(/result="failed"/);
    expect(uses('RosterdSyncStale')?.expr).toMatch(/rosterd_sync_last_success_timestamp_seconds\) > 26 \* 3600/);
    expect(uses('RosterdSyncHeld')?.expr).toMatch(/rosterd_sync_held/);
    expect(uses('RosterdConfigReloadFailing')?.expr).toMatch(/rosterd_config_last_reload_successful/);
    expect(uses('RosterdSisAuthRejected')?.expr).toMatch(/code=~"401\|403"/);
    expect(uses('RosterdSisRateLimited')?.expr).toMatch(/code="429"/);
  });

  it('gives every alert a severity, a summary, a description and runbook text', () => {
    for (const r of RULES) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
      for (const a of ['summary', 'description', 'runbook']) expect(r.annotations?.[a]?.length ?? 0, `${r.alert} ${a}`).toBeGreaterThan(20);
    }
  });

  it('names only metrics rosterd exports', () => {
    for (const r of RULES) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) expect(EXPORTED, `${r.alert}: ${n}`).toContain(n);
    }
  });

  it('has promtool unit tests that make every alert fire, and a quiet case for each', () => {
    for (const r of RULES) {
      const tests = ALERT_TESTS.filter((t) => t.alertname === r.alert);
      expect(tests.some((t) => t.exp_alerts.length > 0), `${r.alert} fires in a test`).toBe(true);
      expect(tests.some((t) => t.exp_alerts.length === 0), `${r.alert} stays quiet in a test`).toBe(true);
    }
    for (const t of ALERT_TESTS) expect(RULES.map((r) => r.alert)).toContain(t.alertname);
  });
});

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe.skipIf(!promtool)('promtool', () => {
  it('checks the rules and passes the unit tests', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts/check-alerts.sh')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
