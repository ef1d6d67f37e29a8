import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../daemon/src/sim/index.js';
import { daemonDir, getJson, integrationYaml, metricValue, postJson, startDaemon, withSim } from './helpers.js';

/** A Kubernetes ConfigMap volume: the file is a symlink through `..data`, which an update swaps atomically. */
class ConfigMapVolume {
  private generation = 0;
  private current = '';
  constructor(readonly dir: string) {}
  get file(): string {
    return join(this.dir, 'oneroster.yaml');
  }
  async init(yaml: string): Promise<void> {
    await this.write(yaml);
    await symlink('..data/oneroster.yaml', this.file);
  }
  /** As the kubelet does it: new timestamped dir, new `..data_tmp` link, rename over `..data`, old dir removed. */
  async write(yaml: string): Promise<void> {
    const name = `..2026_06_01_00_00_00.${String(++this.generation).padStart(9, '0')}`;
    await mkdir(join(this.dir, name));
    await writeFile(join(this.dir, name, 'oneroster.yaml'), yaml);
    await symlink(name, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.current) await rm(join(this.dir, this.current), { recursive: true, force: true });
    this.current = name;
  }
}

describe('live config reload', () => {
  it('applies a Kubernetes-style atomic ConfigMap update three times in a row, keeps a broken one out, and reloads on SIGHUP and POST /-/reload', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim); // secrets beside the volume, as a Secret mounted next to it would be
      const volumeDir = join(d.dir, 'config');
      await mkdir(volumeDir);
      await rename(join(d.dir, 'sis-secret'), join(volumeDir, 'sis-secret'));
      await rename(join(d.dir, 'admin-token'), join(volumeDir, 'admin-token'));
      const volume = new ConfigMapVolume(volumeDir);
      const shelbyville = integrationYaml(sim, { name: 'shelbyville', syncDaily: true, classesCron: '30 5 * * *' });
      await volume.init(d.yaml());
      const daemon = await startDaemon(volume.file);
      const names = async () => ((await getJson(`${daemon.base}/healthz`)).body.integrations as { name: string }[]).map((i) => i.name);
      const reloads = (n: number) => daemon.waitFor((l) => l.msg === 'config reloaded' && daemon.lines.filter((x) => x.msg === 'config reloaded').length >= n, 10_000, `reload ${n}`);
      try {
        expect(await names()).toEqual(['springfield']);

        await volume.write(d.yaml({ extraIntegrations: shelbyville }));
        await reloads(1);
        expect(await names()).toEqual(['springfield', 'shelbyville']);

        await volume.write(d.yaml({ extraIntegrations: shelbyville, classesCron: '15 3 * * *' }));
        await reloads(2);
        const health = await getJson(`${daemon.base}/healthz`);
        expect(health.body.integrations[0].jobs.classes.nextRun).toMatch(/T\d\d:15:00/); // 03:15 Auckland

        await volume.write(d.yaml());
        await reloads(3);
        expect(await names()).toEqual(['springfield']);
        let metrics = (await getJson(`${daemon.base}/metrics`)).body as string;
        expect(metricValue(metrics, 'rosterd_config_reloads_total', { result: 'success' })).toBe(3);
        expect(metricValue(metrics, 'rosterd_config_last_reload_successful')).toBe(1);
        expect(metrics).not.toContain('integration="shelbyville"'); // series of a removed integration go

        // A broken update is kept out: logged with its place, visible in metrics, the daemon keeps serving.
        const goodChecksum = (await getJson(`${daemon.base}/healthz`)).body.config.checksum;
        await volume.write(d.yaml().replace('timezone: Pacific/Auckland', 'timezone: Atlantis/Lost'));
        const rejected = await daemon.waitFor((l) => l.msg === 'config reload rejected' && typeof l.problem === 'string', 10_000, 'rejected reload');
        expect(rejected.problem).toMatch(/oneroster\.yaml:\d+:\d+: integrations\[0\]\.schedule\.timezone: unknown time zone "Atlantis\/Lost"/);
        metrics = (await getJson(`${daemon.base}/metrics`)).body as string;
        expect(metricValue(metrics, 'rosterd_config_last_reload_successful')).toBe(0);
        expect(metricValue(metrics, 'rosterd_config_reloads_total', { result: 'failure' })).toBe(1);
        const health2 = await getJson(`${daemon.base}/healthz`);
        expect(health2.status).toBe(200);
        expect(health2.body.config).toMatchObject({ checksum: goodChecksum, lastReloadSuccessful: false });
        expect(health2.body.integrations[0].jobs.classes.nextRun).not.toBeNull();
        const post = await postJson(`${daemon.base}/-/reload`, undefined);
        expect(post.status).toBe(422);
        expect(post.body.error.problems[0]).toMatch(/Atlantis/);
        // Still syncing on the last good config.
        const sync = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, d.adminToken!);
        expect(sync.status).toBe(202);
        await daemon.waitFor((l) => l.msg === 'run finished' && l.job === 'classes', 20_000, 'run on last good config');

        // Fixed: applied again; SIGHUP and POST /-/reload reload too.
        await volume.write(d.yaml({ classesCron: '45 4 * * *' }));
        await reloads(4);
        daemon.child.kill('SIGHUP');
        await daemon.waitFor((l) => l.msg?.startsWith('config reloaded') === true && l.source === 'SIGHUP', 10_000, 'SIGHUP reload');
        expect((await postJson(`${daemon.base}/-/reload`, undefined)).status).toBe(200);
        metrics = (await getJson(`${daemon.base}/metrics`)).body as string;
        expect(metricValue(metrics, 'rosterd_config_last_reload_successful')).toBe(1);
        expect(metricValue(metrics, 'rosterd_config_last_reload_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 30);
      } finally {
        expect((await daemon.stop()).code).toBe(0);
        await d.cleanup();
      }
    });
  }, 60_000);

  it('picks up a rotated secret file on the next token request, without a reload', async () => {
    const first = await startSim({ version: '1.2', size: 'tiny', seed: 1, clientSecret: 'old-secret-aaaa' });
    const port = Number(new URL(first.url).port);
    const d = await daemonDir(first);
    const daemon = await startDaemon(d.file);
    let sim = first;
    try {
      const token = d.adminToken!;
      const trigger = () => postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, token);
      const finishedRuns = () => daemon.lines.filter((l) => l.msg === 'run finished');
      expect((await trigger()).status).toBe(202);
      await daemon.waitFor(() => finishedRuns().length >= 1, 20_000, 'first run');
      expect(finishedRuns()[0]!.status).toMatch(/^succeeded/);

      // The SIS rotates the credential: the old secret stops working.
      await sim.close();
      sim = await startSim({ version: '1.2', size: 'tiny', seed: 1, clientSecret: 'new-secret-bbbb', port });
      expect((await trigger()).status).toBe(202);
      await daemon.waitFor(() => finishedRuns().length >= 2, 20_000, 'second run');
      expect(finishedRuns()[1]).toMatchObject({ status: 'failed', code: 'ROSTERD_SIS_AUTH_FAILED' });
      expect(daemon.lines.some((l) => l.msg === 'SIS request failed' && l.code === '401' && l.kind === 'token')).toBe(true);

      // The mounted Secret file changes; no reload, the next token request reads it.
      await writeFile(d.secretFile, 'new-secret-bbbb\n');
      expect((await trigger()).status).toBe(202);
      await daemon.waitFor(() => finishedRuns().length >= 3, 20_000, 'third run');
      expect(finishedRuns()[2]!.status).toMatch(/^succeeded/);
      expect(daemon.lines.some((l) => String(l.msg).startsWith('config reloaded'))).toBe(false);
      const metrics = (await getJson(`${daemon.base}/metrics`)).body as string;
      expect(metricValue(metrics, 'rosterd_oneroster_requests_total', { integration: 'springfield', code: '401' })).toBeGreaterThan(0);
      expect(metricValue(metrics, 'rosterd_sync_runs_total', { integration: 'springfield', job: 'classes', result: 'failed' })).toBe(1);
    } finally {
      await daemon.stop();
      await sim.close();
      await d.cleanup();
    }
  }, 60_000);
});

describe('reload during a sync', () => {
  it('a running sync finishes on the config it started with, even when the reload removes its integration', async () => {
    await withSim({}, async (sim) => {
      const d = await daemonDir(sim, { configCheckSeconds: 0.2 });
      const daemon = await startDaemon(d.file);
      try {
        sim.setFaults({ latencyMs: 200 });
        const started = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'classes' }, d.adminToken!);
        expect(started.status).toBe(202);
        await writeFile(d.file, d.yaml({ name: 'shelbyville' }));
        await daemon.waitFor((l) => l.msg === 'config reloaded', 10_000, 'reload');
        expect(daemon.lines.some((l) => l.msg === 'run finished')).toBe(false); // the reload did not wait for, or stop, the run
        sim.setFaults({ latencyMs: 0 });
        const done = await daemon.waitFor((l) => l.msg === 'run finished', 20_000, 'run finished');
        expect(done).toMatchObject({ integration: 'springfield', status: expect.stringMatching(/^succeeded/) });
        const health = await getJson(`${daemon.base}/healthz`);
        expect(health.body.integrations.map((i: { name: string }) => i.name)).toEqual(['shelbyville']);
        const metrics = (await getJson(`${daemon.base}/metrics`)).body as string;
        expect(metrics).not.toContain('integration="springfield"');
        expect(metricValue(metrics, 'rosterd_sync_running', { integration: 'shelbyville', job: 'classes' })).toBe(0);
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    });
  }, 60_000);
});
