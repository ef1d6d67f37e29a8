import { describe, expect, it } from 'vitest';
import type { Config } from '../../daemon/src/config/types.js';
import { missedJobs, nextScheduledRuns, previousDue, Scheduler } from '../../daemon/src/schedule/scheduler.js';

function config(schedule: Partial<Config['integrations'][number]['schedule']>, enabled = true): Config {
  return {
    integrations: [
      {
        name: 'springfield',
        enabled,
        schedule: { syncDaily: true, timezone: 'Pacific/Auckland', classes: '0 22 * * *', students: '0 0 * * *', catchUp: 'once', ...schedule },
      },
    ],
  } as unknown as Config;
}

describe('schedule', () => {
  it('reads cron expressions in the integration time zone', () => {
    // 22:00 in Auckland on 2026-06-10 (NZST, UTC+12) is 10:00 UTC.
    expect(previousDue('0 22 * * *', 'Pacific/Auckland', new Date('2026-06-10T12:00:00Z'))?.toISOString()).toBe('2026-06-10T10:00:00.000Z');
    expect(previousDue('0 22 * * *', 'UTC', new Date('2026-06-10T12:00:00Z'))?.toISOString()).toBe('2026-06-09T22:00:00.000Z');
  });

  it('computes next runs from the config alone (for rosterd logs)', () => {
    const c = config({});
    const next = nextScheduledRuns(c.integrations[0]!, new Date('2026-06-10T12:00:00Z'));
    expect(next.classes?.toISOString()).toBe('2026-06-11T10:00:00.000Z'); // 22:00 NZST
    expect(next.students?.toISOString()).toBe('2026-06-11T12:00:00.000Z'); // midnight NZST, strictly after now
    expect(nextScheduledRuns(config({ syncDaily: false }).integrations[0]!)).toEqual({ classes: null, students: null });
  });

  it('catch-up once: a job whose last run started before its latest due time runs once; none, disabled and never-run jobs do not', async () => {
    const now = new Date('2026-06-10T12:00:00Z');
    const last = async (_i: string, job: string) => (job === 'classes' ? new Date('2026-06-09T09:00:00Z') : new Date('2026-06-10T11:00:00Z'));
    expect((await missedJobs(config({}), last, now)).map((m) => m.job)).toEqual(['classes']);
    expect(await missedJobs(config({ catchUp: 'none' }), last, now)).toEqual([]);
    expect(await missedJobs(config({ syncDaily: false }), last, now)).toEqual([]);
    expect(await missedJobs(config({}, false), last, now)).toEqual([]);
    expect(await missedJobs(config({}), async () => null, now)).toEqual([]);
  });

  it('builds one cron per scheduled job, reports next runs, fires, and rebuilds on apply', async () => {
    const fired: string[] = [];
    const next = new Map<string, Date | null>();
    const s = new Scheduler({ fire: (i, j) => fired.push(`${i}/${j}`), nextRunChanged: (i, j, at) => next.set(`${i}/${j}`, at) });
    try {
      s.apply(config({ classes: '* * * * * *', students: '0 0 1 1 *' }));
      expect(s.nextRun('springfield', 'classes')!.getTime() - Date.now()).toBeLessThanOrEqual(1000);
      expect(next.get('springfield/students')).toBeInstanceOf(Date);
      await new Promise((r) => setTimeout(r, 2200));
      expect(fired.filter((f) => f === 'springfield/classes').length).toBeGreaterThanOrEqual(1);
      expect(fired).not.toContain('springfield/students');
      s.apply(config({ syncDaily: false }));
      expect(s.nextRun('springfield', 'classes')).toBeNull();
      expect(next.get('springfield/classes')).toBeNull();
      const count = fired.length;
      await new Promise((r) => setTimeout(r, 1200));
      expect(fired.length).toBe(count);
    } finally {
      s.stop();
    }
  });
});
