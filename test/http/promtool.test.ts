import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { daemonDir, getJson, postJson, startDaemon, withSim } from '../daemon/helpers.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.status === 0;

describe('metrics exposition', () => {
  it.skipIf(!hasPromtool)('promtool check metrics finds nothing to report for the rosterd_ families after syncs, failures and reloads', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim);
      const daemon = await startDaemon(d.file);
      try {
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, d.adminToken!)).status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'students', 20_000, 'sync');
        sim.setFaults({ htmlResponses: true }); // a login page instead of JSON: fails fast, no retries
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, d.adminToken!)).status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'run finished' && l.status === 'failed', 30_000, 'failed sync');
        await postJson(`${daemon.base}/-/reload`, undefined);
        const text = (await getJson(`${daemon.base}/metrics`)).body as string;
        for (const name of [
          'rosterd_build_info', 'rosterd_config_last_reload_successful', 'rosterd_config_last_reload_success_timestamp_seconds', 'rosterd_config_reloads_total',
          'rosterd_sync_runs_total', 'rosterd_sync_duration_seconds', 'rosterd_sync_last_success_timestamp_seconds', 'rosterd_sync_running', 'rosterd_sync_held',
          'rosterd_sync_next_run_timestamp_seconds', 'rosterd_roster_objects', 'rosterd_sync_changes_total', 'rosterd_sync_issues', 'rosterd_oneroster_requests_total',
          'rosterd_oneroster_request_duration_seconds',
        ]) {
          expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
        }
        const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        const complaints = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.includes('rosterd_'));
        expect(complaints).toEqual([]);
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);
});
