import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../daemon/src/version.js';
import { runCli } from '../helpers/cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('npm run demo', () => {
  it('demo --smoke starts the simulated SIS and the daemon, syncs once, scrapes /metrics and /healthz, exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rosterd-demo-'));
    try {
      // A temp copy of the shipped config, on free ports so parallel tests and a running demo do not clash.
      const [simPort, httpPort] = [await freePort(), await freePort()];
      const shipped = await readFile(join(PACKAGE_ROOT, 'oneroster.yaml'), 'utf8');
      const yaml = shipped.replaceAll('127.0.0.1:8750', `127.0.0.1:${simPort}`).replace('listen: 127.0.0.1:8080', `listen: 127.0.0.1:${httpPort}`);
      expect(yaml).not.toBe(shipped);
      await writeFile(join(dir, 'oneroster.yaml'), yaml);
      const dataBefore = existsSync(join(PACKAGE_ROOT, 'data'));
      const exportsBefore = existsSync(join(PACKAGE_ROOT, 'exports'));

      const r = await runCli(['demo', '--smoke', '--size', 'tiny', '-c', join(dir, 'oneroster.yaml')], { cwd: dir, timeoutMs: 60_000, env: { ROSTERD_LOG_LEVEL: '' } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`http://127.0.0.1:${httpPort}/healthz`);
      expect(r.stderr).toMatch(/classes sync of demo: succeeded/);
      expect(r.stderr).toMatch(/students sync of demo: succeeded/);
      expect(r.stderr).toMatch(/GET \/metrics 200 \(\d+ rosterd_ samples\)/);
      expect(r.stderr).toMatch(/GET \/healthz 200: demo ok/);
      const logs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
      expect(logs.filter((l) => l.msg === 'run finished')).toHaveLength(2);
      expect(logs.at(-1)?.msg).toBe('rosterd stopped');
      expect(existsSync(join(dir, 'data', 'rosterd.db'))).toBe(true);
      expect(existsSync(join(dir, 'exports', 'demo', 'latest', 'classes.csv'))).toBe(true);
      // Nothing was written into the repository.
      expect(existsSync(join(PACKAGE_ROOT, 'data'))).toBe(dataBefore);
      expect(existsSync(join(PACKAGE_ROOT, 'exports'))).toBe(exportsBefore);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
