/**
 * croner jobs per integration and job, from `schedule` (cron read in its time zone). A fire only asks the runner
 * for a sync: the runner refuses a job that is already running or queued, so a job never overlaps itself.
 * On reload the whole set is rebuilt from the new config.
 */
import { Cron } from 'croner';
import type { Config, IntegrationConfig } from '../config/types.js';
import type { Job } from '../store/runs.js';

export const JOBS: readonly Job[] = ['classes', 'students'];

export interface SchedulerOptions {
  fire(integration: string, job: Job): void;
  /** Called whenever a next-run time changes (build, fire, stop). */
  nextRunChanged?(integration: string, job: Job, at: Date | null): void;
}

export class Scheduler {
  private crons = new Map<string, Cron>();

  constructor(private readonly options: SchedulerOptions) {}

  private static key(integration: string, job: Job): string {
    return `${integration}\u0000${job}`;
  }

  /** Replaces every job with those of `config`. Disabled integrations and syncDaily: false get none. */
  apply(config: Config): void {
    const before = [...this.crons.keys()];
    this.stop();
    for (const k of before) {
      const [integration, job] = k.split('\u0000') as [string, Job];
      this.options.nextRunChanged?.(integration, job, null);
    }
    for (const integration of config.integrations) {
      if (!integration.enabled || !integration.schedule.syncDaily) continue;
      for (const job of JOBS) {
        const name = integration.name;
        const cron: Cron = new Cron(
          integration.schedule[job],
          { timezone: integration.schedule.timezone, name: `${name}/${job}`, catch: true },
          () => {
            this.options.fire(name, job);
            this.options.nextRunChanged?.(name, job, cron.nextRun());
          },
        );
        this.crons.set(Scheduler.key(name, job), cron);
        this.options.nextRunChanged?.(name, job, cron.nextRun());
      }
    }
  }

  nextRun(integration: string, job: Job): Date | null {
    return this.crons.get(Scheduler.key(integration, job))?.nextRun() ?? null;
  }

  stop(): void {
    for (const cron of this.crons.values()) cron.stop();
    this.crons.clear();
  }
}

/** When the job was last due before `now` (null: never, or not scheduled). */
export function previousDue(expr: string, timezone: string, now: Date): Date | null {
  const cron = new Cron(expr, { timezone, paused: true });
  try {
    return cron.previousRuns(1, now)[0] ?? null;
  } finally {
    cron.stop();
  }
}

/**
 * catchUp: once — a job whose last recorded run started before its latest due time missed that run while the
 * daemon was down, so it runs once now. A job with no run at all in the data log has missed nothing we know of:
 * it waits for its schedule (or a manual trigger).
 */
export async function missedJobs(
  config: Config,
  lastRunStart: (integration: string, job: Job) => Promise<Date | null>,
  now = new Date(),
): Promise<{ integration: string; job: Job; due: Date; last: Date }[]> {
  const missed: { integration: string; job: Job; due: Date; last: Date }[] = [];
  for (const integration of config.integrations) {
    if (!integration.enabled || !integration.schedule.syncDaily || (integration.schedule.catchUp ?? 'once') !== 'once') continue;
    for (const job of JOBS) {
      const last = await lastRunStart(integration.name, job);
      if (!last) continue;
      const due = previousDue(integration.schedule[job], integration.schedule.timezone, now);
      if (due && last.getTime() < due.getTime()) missed.push({ integration: integration.name, job, due, last });
    }
  }
  return missed;
}

/**
 * When each job of an integration is next due, from the config alone (no daemon needed): for `rosterd logs`
 * and anything else that shows the schedule. null when the job is not scheduled.
 */
export function nextScheduledRuns(integration: IntegrationConfig, now = new Date()): Record<Job, Date | null> {
  const out: Record<Job, Date | null> = { classes: null, students: null };
  if (!integration.enabled || !integration.schedule.syncDaily) return out;
  for (const job of JOBS) {
    const cron = new Cron(integration.schedule[job], { timezone: integration.schedule.timezone, paused: true });
    try {
      out[job] = cron.nextRun(now);
    } finally {
      cron.stop();
    }
  }
  return out;
}
