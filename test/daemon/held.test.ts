import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { daemonDir, finishedRuns, getJson, metricValue, postJson, startDaemon, withSim } from './helpers.js';

/** A run over a deletion limit in the daemon: held, visible in metrics, approved or discarded over the admin API. */
describe('held runs in the daemon', () => {
  it('holds, reports rosterd_sync_held, and the admin API approves (once) or discards', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim);
      const daemon = await startDaemon(d.file);
      const token = d.adminToken!;
      const { base } = daemon;
      try {
        expect((await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, token)).status).toBe(202);
        await finishedRuns(base, token, (runs) => runs.length >= 2);

        // A short feed: 6 of about 37 students gone, over the default limit of 10 %.
        sim.setMutation({ removeStudents: 6 });
        expect((await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, token)).status).toBe(202);
        const runs = await finishedRuns(base, token, (runs) => runs.length >= 4);
        const held = runs.find((r) => r.job === 'students' && r.status === 'held')!;
        expect(held).toBeDefined();
        let metrics = (await getJson(`${base}/metrics`)).body as string;
        expect(metricValue(metrics, 'rosterd_sync_held', { integration: 'springfield', job: 'students' })).toBe(1);
        expect(metricValue(metrics, 'rosterd_sync_runs_total', { integration: 'springfield', job: 'students', result: 'held' })).toBe(1);

        expect((await postJson(`${base}/api/v1/runs/${held.id}/approve`, {})).status).toBe(401);
        const approved = await postJson(`${base}/api/v1/runs/${held.id}/approve`, { by: 'carol' }, token);
        expect(approved.status, JSON.stringify(approved.body)).toBe(200);
        expect(approved.body).toMatchObject({ run: held.id, decision: 'approved' });
        expect(approved.body.appliedRunId).toBeGreaterThan(held.id);
        const shown = await getJson(`${base}/api/v1/runs/${held.id}`, token);
        expect(shown.body.run).toMatchObject({ status: 'held', decision: 'approved', decidedBy: 'carol (api)' });
        const applied = await getJson(`${base}/api/v1/runs/${approved.body.appliedRunId}`, token);
        expect(applied.body.run.status).toBe('succeeded');
        expect(applied.body.run.counts.students.deleted).toBe(6);
        metrics = (await getJson(`${base}/metrics`)).body as string;
        expect(metricValue(metrics, 'rosterd_sync_held', { integration: 'springfield', job: 'students' })).toBe(0);

        const twice = await postJson(`${base}/api/v1/runs/${held.id}/approve`, {}, token);
        expect(twice.status).toBe(409);
        expect(twice.body.error.code).toBe('ROSTERD_RUN_NOT_PENDING');

        // Another short feed, this time discarded: nothing applied, the decision recorded.
        sim.setMutation({ removeStudents: 12 });
        expect((await postJson(`${base}/api/v1/integrations/springfield/syncs`, { job: 'students' }, token)).status).toBe(202);
        const later = await finishedRuns(base, token, (runs) => runs.length >= 6);
        const held2 = later.find((r) => r.job === 'students' && r.status === 'held' && r.id > held.id)!;
        const discarded = await postJson(`${base}/api/v1/runs/${held2.id}/discard`, { by: 'dan' }, token);
        expect(discarded.status).toBe(200);
        expect((await getJson(`${base}/api/v1/runs/${held2.id}`, token)).body.run).toMatchObject({ decision: 'discarded', decidedBy: 'dan (api)' });
        expect((await postJson(`${base}/api/v1/runs/999/approve`, {}, token)).status).toBe(404);
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  });

  it('a decision taken with the CLI while the daemon runs clears rosterd_sync_held and /healthz at the next scrape, and stays cleared after a restart', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim);
      const token = d.adminToken!;
      let daemon = await startDaemon(d.file);
      const lastStudentsRun = async (afterId: number) => {
        const runs = await finishedRuns(daemon.base, token, (rs) => rs.some((r) => r.job === 'students' && r.id > afterId));
        return runs.find((r) => r.job === 'students' && r.id > afterId)!;
      };
      const heldGauge = async () => metricValue((await getJson(`${daemon.base}/metrics`)).body as string, 'rosterd_sync_held', { integration: 'springfield', job: 'students' });
      const healthStatus = async () => (await getJson(`${daemon.base}/healthz`)).body.integrations[0].status as string;
      try {
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, token)).status).toBe(202);
        const first = await lastStudentsRun(0);
        sim.setMutation({ removeStudents: 6 });
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'students' }, token)).status).toBe(202);
        const held = await lastStudentsRun(first.id);
        expect(held.status).toBe('held');
        expect(await heldGauge()).toBe(1);
        expect(await healthStatus()).toBe('held');

        // Another process decides: the daemon learns it from the data log.
        const cli = await runCli(['discard', String(held.id), '-c', d.file, '--by', 'erin']);
        expect(cli.code, cli.stderr).toBe(0);
        expect(await heldGauge()).toBe(0);
        expect(await healthStatus()).toBe('ok');

        await daemon.stop();
        daemon = await startDaemon(d.file);
        expect(await heldGauge()).toBe(0);
        expect(await healthStatus()).toBe('ok');
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  });
});
