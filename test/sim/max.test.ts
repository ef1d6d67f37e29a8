/** The largest district (400,000 students, 2.8M enrollments) is generated lazily: late pages are quick and memory stays small. */
import { expect, test } from 'vitest';
import { startSim } from '../../daemon/src/sim/index.js';
import { FIXED_TODAY, get, tokenFor } from './helpers.js';

test('max size: a late page of enrollments over HTTP, fast and without materialising the district', async () => {
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const sim = await startSim({ version: '1.2', size: 'max', seed: 1, today: FIXED_TODAY });
  try {
    expect(performance.now() - t0).toBeLessThan(1000);
    const token = await tokenFor(sim);
    const t1 = performance.now();
    const res = await get(sim, token, '/enrollments?limit=1000&offset=2800000');
    const body = (await res.json()) as { enrollments: Array<{ sourcedId: string }> };
    expect(performance.now() - t1).toBeLessThan(3000);
    expect(Number(res.headers.get('x-total-count'))).toBe(sim.district.enrollmentCount);
    expect(sim.district.enrollmentCount).toBeGreaterThan(2_800_000);
    expect(body.enrollments).toHaveLength(1000);
    expect(body.enrollments[0]!.sourcedId).toBe('enr-02800000');

    // Late pages cost what early ones do (no scan up to the offset): a ratio measured in one run, so a busy
    // machine slows both sides alike. Pages are interleaved so a burst of load cannot land on one side only.
    const pageMs = async (offset: number) => {
      const t = performance.now();
      const page = (await (await get(sim, token, `/users?limit=1000&offset=${offset}`)).json()) as { users: unknown[] };
      expect(page.users).toHaveLength(1000);
      return performance.now() - t;
    };
    let early = 0;
    let late = 0;
    for (let i = 0; i < 20; i++) {
      early += await pageMs(i * 1000);
      late += await pageMs(390_000 + i * 1000);
    }
    expect(late / early, `20 pages at offset 390,000 took ${Math.round(late)} ms, at offset 0 ${Math.round(early)} ms`).toBeLessThan(3);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  } finally {
    await sim.close();
  }
});
