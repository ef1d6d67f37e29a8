import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ROSTERD_BIN } from '../helpers/cli.js';
import { daemonDir, getJson, postJson, sleep, startDaemon } from '../daemon/helpers.js';

describe('HTTP while a large district syncs', () => {
  it('answers /livez, /readyz and /metrics within 250 ms throughout the sync (it runs in a worker thread)', async () => {
    // The sim runs in its own process, so serving pages never stalls the test's own timing measurements.
    // Its latency stretches the read to several seconds on any machine (a fast one once finished a bare medium
    // sync in 1.6 s, too short to probe), while the CPU-heavy staging, diff and apply stay as they are.
    const secret = 'responsive-test-secret';
    const simProc = spawn(process.execPath, [ROSTERD_BIN, 'sim', '--size', 'medium', '--port', '0', '--latency-ms', '100'], {
      env: { ...process.env, ROSTERD_DEMO_SIS_SECRET: secret },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [first] = (await once(simProc.stdout!.setEncoding('utf8'), 'data')) as [string];
      const sim = { ...(JSON.parse(first.split('\n')[0]!) as { url: string; tokenUrl: string; urlPrefix: string; clientId: string; orgId: string }), clientSecret: secret };
      const d = await daemonDir(sim, { pageSize: 2000 });
      const daemon = await startDaemon(d.file);
      try {
        const started = await postJson(`${daemon.base}/api/v1/integrations/springfield/syncs`, { job: 'all' }, d.adminToken!);
        expect(started.status).toBe(202);
        const t0 = Date.now();
        const timings: { path: string; ms: number; status: number }[] = [];
        const paths = ['/livez', '/readyz', '/metrics'];
        let i = 0;
        while (!daemon.lines.some((l) => l.msg === 'run finished' && l.job === 'students') && Date.now() - t0 < 90_000) {
          const path = paths[i++ % paths.length]!;
          const s = performance.now();
          const r = await getJson(`${daemon.base}${path}`);
          timings.push({ path, ms: Math.round(performance.now() - s), status: r.status });
          await sleep(100);
        }
        const syncSeconds = (Date.now() - t0) / 1000;
        expect(syncSeconds).toBeGreaterThan(2); // the sync really was long enough to matter
        expect(timings.length).toBeGreaterThan(15);
        const slow = timings.filter((t) => t.ms >= 250 || t.status !== 200);
        expect(slow, `slow or failed answers during a ${syncSeconds} s sync (max ${Math.max(...timings.map((t) => t.ms))} ms)`).toEqual([]);
        expect(daemon.lines.find((l) => l.msg === 'run finished' && l.job === 'students')?.status).toMatch(/^succeeded/);
      } finally {
        await daemon.stop();
        await d.cleanup();
      }
    } finally {
      simProc.kill('SIGTERM');
    }
  }, 120_000);
});
