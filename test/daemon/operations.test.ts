import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../daemon/src/store/db.js';
import { runCli } from '../helpers/cli.js';
import { daemonDir, getJson, integrationYaml, postJson, startDaemon, withSim, type LogLine } from './helpers.js';

const finished = (lines: LogLine[]) => lines.filter((l) => l.msg === 'run finished');

describe('daemon operations', () => {
  it('catches up a run the data log says was missed (catchUp: once), and not with catchUp: none', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { catchUp: 'once' });
      try {
        let daemon = await startDaemon(d.file);
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, d.adminToken!)).status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'students', 20_000, 'sync');
        // Just synced: nothing was missed, so a restart runs nothing.
        await daemon.stop();
        daemon = await startDaemon(d.file);
        await new Promise((r) => setTimeout(r, 500));
        expect(daemon.lines.some((l) => l.msg?.startsWith('catching up') === true)).toBe(false);
        await daemon.stop();

        // The daemon was "down" for two days: the last classes run started before its latest due time.
        const db = new Database(join(d.dir, 'rosterd.db'));
        db.prepare("UPDATE runs SET started_at = ? WHERE job = 'classes'").run(new Date(Date.now() - 2 * 86_400_000).toISOString());
        db.close();
        await writeFile(d.file, d.yaml({ catchUp: 'none' }));
        daemon = await startDaemon(d.file);
        await new Promise((r) => setTimeout(r, 500));
        expect(finished(daemon.lines)).toEqual([]);
        await daemon.stop();

        await writeFile(d.file, d.yaml({ catchUp: 'once' }));
        daemon = await startDaemon(d.file);
        const caught = await daemon.waitFor((l) => l.msg === 'run finished', 20_000, 'catch-up run');
        expect(caught).toMatchObject({ job: 'classes', trigger: 'catch-up', status: expect.stringMatching(/^succeeded/) });
        expect(daemon.lines.find((l) => l.msg?.startsWith('catching up') === true)).toMatchObject({ integration: 'springfield', job: 'classes' });
        await daemon.stop();
      } finally {
        await d.cleanup();
      }
    });
  }, 60_000);

  it('deletes runs older than storage.retentionDays from the data log, at start and after runs', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { retentionDays: 30 });
      try {
        let daemon = await startDaemon(d.file);
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, d.adminToken!)).status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'students', 20_000, 'sync');
        await daemon.stop();
        const db = new Database(join(d.dir, 'rosterd.db'));
        db.prepare("UPDATE runs SET started_at = ? WHERE job = 'classes'").run(new Date(Date.now() - 31 * 86_400_000).toISOString());
        db.close();
        daemon = await startDaemon(d.file);
        const pruned = await daemon.waitFor((l) => String(l.msg).startsWith('old runs deleted'), 10_000, 'retention');
        expect(pruned).toMatchObject({ deleted: 1, retentionDays: 30 });
        const runs = await getJson(`${daemon.base}/api/v1/runs`, d.adminToken!);
        expect(runs.body.runs.map((r: { job: string }) => r.job)).toEqual(['students']);
        await daemon.stop();
      } finally {
        await d.cleanup();
      }
    });
  }, 60_000);

  it('refuses an in-memory store (each worker would see an empty one) with exit 78', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { storageUrl: 'sqlite::memory:' });
      try {
        const r = await runCli(['run', '-c', d.file], { timeoutMs: 20_000 });
        expect(r.code).toBe(78);
        expect(r.stderr).toMatch(/storage\.url: the daemon needs a store on disk/);
      } finally {
        await d.cleanup();
      }
    });
  });

  it('an unusable exports folder is an error in the data log and the log, never a crash', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { exportsDir: './blocked' });
      await writeFile(join(d.dir, 'blocked'), 'a file where the exports folder should be');
      const daemon = await startDaemon(d.file);
      try {
        const started = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, d.adminToken!);
        const failed = await daemon.waitFor((l) => l.msg === 'export files not written', 20_000, 'export failure');
        expect(failed).toMatchObject({ integration: 'springfield', code: 'ROSTERD_EXPORT_WRITE_FAILED' });
        expect(finished(daemon.lines)[0]?.status).toMatch(/^succeeded/); // the roster sync itself stands
        const run = await getJson(`${daemon.base}/api/v1/runs/${started.body.runIds[0]}`, d.adminToken!);
        expect(run.body.run.issues.some((i: { rule: string; message: string }) => i.rule === 'exports-write-failed' && i.message.includes('blocked'))).toBe(true);
        expect((await getJson(`${daemon.base}/livez`)).status).toBe(200);
      } finally {
        expect((await daemon.stop()).code).toBe(0);
        await d.cleanup();
      }
    });
  }, 60_000);

  it('runs integrations within maxConcurrentSyncs and queues a students run behind a running classes run', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { maxConcurrentSyncs: 1, extraIntegrations: integrationYaml(sim, { name: 'shelbyville', syncDaily: false }) });
      const daemon = await startDaemon(d.file);
      try {
        const token = d.adminToken!;
        sim.setFaults({ latencyMs: 100 }); // classes is still running when the next two requests arrive
        const a = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, token);
        const b = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'students' }, token);
        const c = await postJson(`${daemon.base}/api/v1/integrations/shelbyville/syncs`, { job: 'classes' }, token);
        sim.setFaults({ latencyMs: 0 });
        expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
        expect(b.body.pending).toEqual(['students']); // queued behind classes
        expect(c.body.pending).toEqual(['classes']); // queued behind the limit
        await daemon.waitFor(() => finished(daemon.lines).length >= 3, 30_000, 'three runs');
        const events = daemon.lines.filter((l) => l.msg === 'run started' || l.msg === 'run finished').map((l) => `${l.msg === 'run started' ? '+' : '-'}${l.integration}/${l.job}`);
        expect(events).toEqual(['+springfield/classes', '-springfield/classes', '+springfield/students', '-springfield/students', '+shelbyville/classes', '-shelbyville/classes']);
        const health = await getJson(`${daemon.base}/healthz`);
        expect(health.body.integrations[1].jobs.classes.nextRun).toBeNull(); // syncDaily: false
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);

  it('the admin API is off without server.adminToken; rosterd backup copies the store while the daemon runs', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { adminToken: null, classesCron: '* * * * * *', studentsCron: '*/2 * * * * *' });
      const daemon = await startDaemon(d.file);
      try {
        const off = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, 'anything');
        expect(off.status).toBe(404);
        expect(off.body.error.code).toBe('ROSTERD_ADMIN_API_OFF');
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'students' && String(l.status).startsWith('succeeded'), 20_000, 'scheduled sync');
        // Back up while scheduled syncs keep writing.
        const out = join(d.dir, 'backups', 'copy.db');
        const r = await runCli(['backup', '-c', d.file, '--out', out], { timeoutMs: 30_000 });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain(out);
        const copy = await openStore(`sqlite:${out}`, { readonly: true });
        try {
          const runs = await copy.runs.list();
          expect(runs.length).toBeGreaterThan(0);
          const users = (await copy.knex('roster_users').count({ n: '*' }).first()) as { n: number };
          expect(Number(users.n)).toBeGreaterThan(0);
        } finally {
          await copy.close();
        }
        const again = await runCli(['backup', '-c', d.file, '--out', out], { timeoutMs: 30_000 });
        expect(again.code).toBe(2);
        expect(again.stderr).toMatch(/exists; .*--force/);
        expect(existsSync(`${out}.partial-${process.pid}`)).toBe(false);
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);
});
