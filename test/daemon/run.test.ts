import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { daemonDir, getJson, metricValue, postJson, sleep, startDaemon, withSim } from './helpers.js';

describe('rosterd run', () => {
  it('refuses a bad first config with exit 78 and every problem with its place', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim);
      try {
        const yaml = d.yaml().replace('timezone: Pacific/Auckland', 'timezone: Mars/Olympus').replace('pageSize: 200', 'pageSize: -4');
        await import('node:fs/promises').then((fs) => fs.writeFile(d.file, yaml));
        const r = await runCli(['run', '-c', d.file], { timeoutMs: 20_000 });
        expect(r.code).toBe(78);
        expect(r.stderr).toMatch(/oneroster\.yaml:\d+:\d+: .*timezone/);
        expect(r.stderr).toMatch(/pageSize/);
        expect(r.stderr).toMatch(/did not start and nothing was changed/);
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      } finally {
        await d.cleanup();
      }
    });
  });

  it('serves health and metrics, runs syncs over the admin API (401 without the token, 409 while running) and publishes exports', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim);
      const daemon = await startDaemon(d.file);
      try {
        const { base } = daemon;
        expect((await getJson(`${base}/livez`)).status).toBe(200);
        expect((await getJson(`${base}/readyz`)).status).toBe(200);
        const health = await getJson(`${base}/healthz`);
        expect(health.status).toBe(200);
        expect(health.body.integrations[0]).toMatchObject({ name: 'springfield', status: 'never-synced' });
        expect(health.body.integrations[0].jobs.classes.nextRun).toMatch(/^\d{4}-/);

        let metrics = (await getJson(`${base}/metrics`)).body as string;
        expect(metricValue(metrics, 'rosterd_config_last_reload_successful')).toBe(1);
        expect(metricValue(metrics, 'rosterd_build_info')).toBe(1);
        expect(metricValue(metrics, 'rosterd_sync_running', { integration: 'springfield', job: 'classes' })).toBe(0);
        expect(metricValue(metrics, 'rosterd_sync_next_run_timestamp_seconds', { integration: 'springfield', job: 'students' })).toBeGreaterThan(Date.now() / 1000);
        expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);

        // The admin API needs the token.
        expect((await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'all' })).status).toBe(401);
        const wrong = await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, 'admin-token-for-tests-9999');
        expect(wrong.status).toBe(401);
        expect(wrong.body.error.code).toBe('ROSTERD_UNAUTHORIZED');
        const token = d.adminToken!;
        expect((await postJson(`${base}/api/v1/integrations/nowhere/syncs`, { job: 'all' }, token)).status).toBe(404);
        expect((await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'everything' }, token)).status).toBe(400);

        sim.setFaults({ latencyMs: 40 }); // long enough to see the run in progress
        const started = await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, token);
        expect(started.status).toBe(202);
        expect(started.body.runs[0]).toMatchObject({ job: 'classes' });
        expect(started.body.runIds[0]).toBeGreaterThan(0);
        const again = await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, token);
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe('ROSTERD_JOB_RUNNING');
        sim.setFaults({ latencyMs: 0 });

        const finished = await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'students', 30_000, 'students run finished');
        expect(finished).toMatchObject({ integration: 'springfield', trigger: 'api', status: expect.stringMatching(/^succeeded/) });
        expect(typeof finished.durationSeconds).toBe('number');
        await daemon.waitFor((l) => l.msg === 'export files written', 10_000, 'exports');

        const runs = await getJson(`${base}/api/v1/runs?integration=springfield`, token);
        expect(runs.status).toBe(200);
        expect(runs.body.runs.map((r: { job: string }) => r.job)).toEqual(['students', 'classes']);
        const one = await getJson(`${base}/api/v1/runs/${started.body.runIds[0]}`, token);
        expect(one.body.run).toMatchObject({ job: 'classes', status: expect.stringMatching(/^succeeded/) });
        expect(Array.isArray(one.body.run.issues)).toBe(true);
        expect((await getJson(`${base}/api/v1/runs/999999`, token)).status).toBe(404);

        const files = await getJson(`${base}/api/v1/integrations/springfield/exports/latest`, token);
        expect(files.status).toBe(200);
        expect(files.body.files.map((f: { name: string }) => f.name)).toEqual(['classes.csv', 'enrollments.csv', 'users.csv']);
        const csv = await fetch(`${base}${files.body.files[0].url}`, { headers: { authorization: `Bearer ${token}` } });
        expect(csv.status).toBe(200);
        expect(await csv.text()).toContain('class_id');
        const onDisk = await readFile(join(d.dir, 'exports', 'springfield', 'latest', 'users.csv'), 'utf8');
        expect(onDisk).toContain('user_id');
        expect((await getJson(`${base}/api/v1/integrations/springfield/exports/latest/..%2Frosterd.db`, token)).status).toBe(400);

        metrics = (await getJson(`${base}/metrics`)).body as string;
        // Every final status is a series from the start (0), so the one run counts in exactly one of them.
        const runsBy = (result: string) => metricValue(metrics, 'rosterd_sync_runs_total', { integration: 'springfield', job: 'classes', result });
        expect(runsBy('failed')).toBe(0);
        expect((runsBy('succeeded') ?? 0) + (runsBy('succeeded_with_issues') ?? 0)).toBe(1);
        expect(metricValue(metrics, 'rosterd_sync_last_success_timestamp_seconds', { integration: 'springfield', job: 'students' })).toBeGreaterThan(Date.now() / 1000 - 60);
        expect(metricValue(metrics, 'rosterd_roster_objects', { integration: 'springfield', kind: 'students' })).toBeGreaterThan(0);
        expect(metricValue(metrics, 'rosterd_sync_changes_total', { integration: 'springfield', kind: 'classes', change: 'created' })).toBeGreaterThan(0);
        expect(metricValue(metrics, 'rosterd_oneroster_requests_total', { integration: 'springfield', code: '200' })).toBeGreaterThan(0);
        expect(metricValue(metrics, 'rosterd_oneroster_request_duration_seconds_count', { integration: 'springfield' })).toBeGreaterThan(0);
        expect(metricValue(metrics, 'rosterd_sync_duration_seconds_count', { integration: 'springfield', job: 'classes' })).toBe(1);

        const health2 = await getJson(`${base}/healthz`);
        expect(health2.body.integrations[0].status).toBe('ok');
        expect(health2.body.integrations[0].jobs.students.lastSuccess.ageSeconds).toBeLessThan(60);

        const list = await getJson(`${base}/api/v1/integrations`, token);
        expect(list.body.integrations[0]).toMatchObject({ name: 'springfield', enabled: true });
        expect(JSON.stringify(list.body)).not.toContain(sim.clientSecret);

        const stopped = await daemon.stop();
        expect(stopped.code).toBe(0);
        expect(daemon.lines.at(-1)?.msg).toBe('rosterd stopped');
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);

  it('fires scheduled runs from a per-second cron, never overlapping a job, and restores last-success metrics at start', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { classesCron: '* * * * * *', studentsCron: '*/2 * * * * *' });
      const daemon = await startDaemon(d.file);
      try {
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'classes' && l.trigger === 'schedule', 15_000, 'scheduled classes run');
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'students' && l.trigger === 'schedule' && String(l.status).startsWith('succeeded'), 15_000, 'scheduled students run');
        await sleep(1500);
        // No job ever overlapped itself: per job, started and finished alternate.
        for (const job of ['classes', 'students']) {
          const seq = daemon.lines.filter((l) => l.job === job && (l.msg === 'run started' || l.msg === 'run finished')).map((l) => l.msg);
          seq.forEach((m, i) => expect(m).toBe(i % 2 === 0 ? 'run started' : 'run finished'));
        }
      } finally {
        expect((await daemon.stop()).code).toBe(0);
      }
      // Restart with a daily schedule: the last success comes back from the data log.
      await import('node:fs/promises').then((fs) => fs.writeFile(d.file, d.yaml({ classesCron: '0 22 * * *', studentsCron: '0 0 * * *' })));
      const again = await startDaemon(d.file);
      try {
        const metrics = (await getJson(`${again.base}/metrics`)).body as string;
        expect(metricValue(metrics, 'rosterd_sync_last_success_timestamp_seconds', { integration: 'springfield', job: 'classes' })).toBeGreaterThan(Date.now() / 1000 - 120);
        expect(metricValue(metrics, 'rosterd_roster_objects', { integration: 'springfield', kind: 'classes' })).toBeGreaterThan(0);
      } finally {
        await again.stop();
        await d.cleanup();
      }
    });
  }, 60_000);
});
