import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../daemon/src/store/db.js';
import { daemonDir, getJson, postJson, startDaemon, withSim } from './helpers.js';

async function rosterFingerprint(storeUrl: string): Promise<string> {
  const store = await openStore(storeUrl, { readonly: true });
  try {
    const parts: string[] = [];
    for (const table of ['roster_schools', 'roster_classes', 'roster_users', 'roster_memberships']) {
      parts.push(JSON.stringify(await store.knex(table).select('*').orderByRaw('1, 2, 3')));
    }
    return parts.join('\n');
  } finally {
    await store.close();
  }
}

describe('graceful shutdown', () => {
  it('SIGTERM in the middle of a sync: waits the grace period, aborts, records the run interrupted, leaves the roster unchanged, exits 0', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { graceSeconds: 1, pageSize: 10 });
      const storeUrl = `sqlite:${join(d.dir, 'rosterd.db')}`;
      const daemon = await startDaemon(d.file, { env: { ROSTERD_LOG_LEVEL: 'debug' } });
      try {
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, d.adminToken!)).status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'sync request done', 20_000, 'first sync, its exports and its worker done');
        const before = await rosterFingerprint(storeUrl);

        // The SIS changed and answers slowly: the next sync would change the roster, and takes long.
        sim.setMutation({ removeStudents: 3, renameCourses: 2 });
        sim.setFaults({ latencyMs: 300 });
        const started = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, d.adminToken!);
        expect(started.status).toBe(202);
        expect(started.body.pending).toEqual([]); // it is running, not queued
        const runId = started.body.runIds[0] as number;
        const t0 = Date.now();
        daemon.child.kill('SIGTERM');
        const exit = await daemon.exited;
        expect(exit.code).toBe(0);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // the grace period was given
        expect(daemon.lines.some((l) => l.msg === 'rosterd stopping' && l.reason === 'SIGTERM')).toBe(true);
        expect(daemon.lines.some((l) => String(l.msg).startsWith('grace period over'))).toBe(true);
        expect(daemon.lines.find((l) => l.msg === 'run finished' && l.runId === runId)).toMatchObject({ status: 'interrupted' });
        expect(daemon.lines.at(-1)?.msg).toBe('rosterd stopped');

        expect(await rosterFingerprint(storeUrl)).toBe(before);
        const store = await openStore(storeUrl, { readonly: true });
        try {
          const run = await store.runs.get(runId);
          expect(run).toMatchObject({ status: 'interrupted', errorCode: 'ROSTERD_RUN_INTERRUPTED' });
          expect((await store.runs.list()).some((r) => r.status === 'running')).toBe(false);
        } finally {
          await store.close();
        }
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);

  it('lets a sync that ends within the grace period finish normally', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { graceSeconds: 20 });
      const daemon = await startDaemon(d.file);
      try {
        sim.setFaults({ latencyMs: 30 });
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, d.adminToken!)).status).toBe(202);
        daemon.child.kill('SIGINT');
        expect((await daemon.exited).code).toBe(0);
        expect(daemon.lines.find((l) => l.msg === 'run finished')).toMatchObject({ status: expect.stringMatching(/^succeeded/) });
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);
});

describe('secrets stay out of logs', () => {
  it('a canary SIS secret and admin token never reach a log line, metrics, health, the API or the exports, even at trace level and on auth failures', async () => {
    const canary = 'CANARY-sis-secret-7f3a9c';
    await withSim({ clientSecret: canary }, async (sim) => {
      const d = await daemonDir(sim, { adminToken: 'CANARY-admin-token-51bd2e' });
      const daemon = await startDaemon(d.file, { env: { ROSTERD_LOG_LEVEL: 'trace' } });
      const secrets = [canary, 'CANARY-admin-token-51bd2e', 'CANARY-wrong-secret-0c1d'];
      try {
        const token = d.adminToken!;
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, token)).status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'students', 20_000, 'sync');
        await writeFile(d.secretFile, 'CANARY-wrong-secret-0c1d\n');
        expect((await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, token)).status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'run finished' && l.status === 'failed', 20_000, 'failed sync');
        await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, 'CANARY-admin-token-51bd2e-wrong');
        await postJson(`${daemon.base}/-/reload`, undefined);
        const seen = [
          (await getJson(`${daemon.base}/metrics`)).body,
          JSON.stringify((await getJson(`${daemon.base}/healthz`)).body),
          JSON.stringify((await getJson(`${daemon.base}/api/v1/runs`, token)).body),
          JSON.stringify((await getJson(`${daemon.base}/api/v1/integrations`, token)).body),
        ];
        const exportsDir = join(d.dir, 'exports', 'springfield', 'latest');
        for (const f of await readdir(exportsDir)) seen.push(await readFile(join(exportsDir, f), 'utf8'));
        await daemon.stop();
        seen.push(daemon.stdout(), daemon.stderr());
        expect(daemon.lines.some((l) => l.level === 'debug' || l.level === 'trace' || l.level === 'info')).toBe(true);
        for (const text of seen) for (const secret of secrets) expect(text).not.toContain(secret);
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);
});
