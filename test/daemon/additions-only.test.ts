import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { daemonDir, finishedRuns, getJson, metricValue, postJson, startDaemon, withSim } from './helpers.js';

/** Additions-only mode in the daemon: what it keeps shows in rosterd_sync_kept, also after a restart (for the alert). */
describe('additions-only mode in the daemon', () => {
  it('reports what the last applied run kept per kind, restored from the data log at start, and 0 once it deletes again', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { extra: '    safety:\n      additionsOnly: true' });
      const token = d.adminToken!;
      let daemon = await startDaemon(d.file);
      const kept = async (job: string, kind: string) => metricValue((await getJson(`${daemon.base}/metrics`)).body as string, 'rosterd_sync_kept', { integration: 'springfield', job, kind });
      try {
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, token)).status).toBe(202);
        await finishedRuns(daemon.base, token, (runs) => runs.length >= 2);
        expect(await kept('students', 'students')).toBe(0);

        sim.setMutation({ removeStudents: 6 });
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'students' }, token)).status).toBe(202);
        const runs = await finishedRuns(daemon.base, token, (rs) => rs.length >= 3);
        expect(runs[0]).toMatchObject({ job: 'students', status: expect.stringMatching(/^succeeded/) });
        expect(await kept('students', 'students')).toBe(6);
        expect(await kept('students', 'enrollments')).toBeGreaterThan(0);

        await daemon.stop();
        daemon = await startDaemon(d.file);
        expect(await kept('students', 'students')).toBe(6);

        // Mode off (a live reload), deletions allowed: the next run deletes, and the gauge goes back to 0.
        await writeFile(d.file, d.yaml({ extra: '    safety:\n      additionsOnly: false\n      deletions: { students: { maxShare: 0.5 } }' }));
        expect((await postJson(`${daemon.base}/-/reload`, {}, token)).status).toBe(200);
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'students' }, token)).status).toBe(202);
        const after = await finishedRuns(daemon.base, token, (rs) => rs.length >= 4);
        expect(after[0]).toMatchObject({ job: 'students', status: expect.stringMatching(/^succeeded/) });
        expect(await kept('students', 'students')).toBe(0);
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  });
});
