import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The benchmark at a small size: it must run end to end, measure, and meet its own bars. */
describe('npm run bench (small size)', () => {
  it('reports floor, first sync and re-sync with ratios and peak RSS, and the re-sync writes nothing', async () => {
    const script = fileURLToPath(new URL('../../dist/bench/bench.js', import.meta.url));
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [script, '--size', 'small', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.records.enrollments).toBeGreaterThan(1000);
    for (const phase of [result.floor, result.firstSync, result.resync]) {
      expect(phase.seconds).toBeGreaterThan(0);
      expect(phase.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(phase.peakRssBytes).toBeLessThan(1024 ** 3);
    }
    expect(result.firstSync.ratio).toBeCloseTo(result.firstSync.seconds / result.floor.seconds, 1);
    expect(result.resync.rosterWrites).toBe(0);
    expect(result.failures).toEqual([]);
  });
});
