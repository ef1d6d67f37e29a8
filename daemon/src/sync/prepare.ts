import type { Knex } from 'knex';
import type { IntegrationConfig } from '../config/types.js';
import { buildRoster, type ClassSource } from '../roster/build.js';
import { checkQuality, type Finding, type RuleName } from '../roster/quality.js';
import { JOB_TABLES, type Job } from '../roster/tables.js';
import { countChanges, keepMissing, type Counts } from './diff.js';
import { planKind, type KindPlan } from './plan.js';
import { deletionLimitReasons, emptyFeedReasons, qualityBlockReasons, type HoldReason } from './safety.js';
import type { Snapshot } from './snapshot.js';
import { todayIn } from './today.js';

/**
 * A job's plan from a staged snapshot: the roster it should be, its data-quality findings, what would change
 * against the store, and whether that may apply on its own. `rosterd plan` and every sync use this same code,
 * so what plan shows is what sync does.
 */
export interface JobPlan {
  integration: string;
  job: Job;
  asOf: string;
  counts: Counts;
  quality: { counts: Partial<Record<RuleName, number>>; findings: Finding[] };
  reasons: HoldReason[];
  /** Per kind: per-school counts and the first changes with names (computed on request: it costs a pass over the changes). */
  kinds?: KindPlan[];
}

export interface PlanInput {
  knex: Knex;
  snapshot: Snapshot;
  integration: IntegrationConfig;
  job: Job;
  classSource: ClassSource;
  now?: Date;
  /** Include per-school counts and up to this many named changes per kind and change type. */
  details?: number;
}

export async function planJob(input: PlanInput): Promise<JobPlan> {
  const { knex, snapshot, integration, job, classSource } = input;
  const asOf = todayIn(integration.schedule.timezone, input.now);
  const { collisions } = await buildRoster({
    snapshot, job, integration: integration.name, hapara: integration.hapara, asOf, storeClasses: classSource, keepsStoredClasses: integration.safety.additionsOnly,
  });
  const quality = await checkQuality({ snapshot, job, collisions, storeClasses: classSource });
  const counts: Counts = {};
  for (const table of JOB_TABLES[job]) {
    const ctx = { knex, snapshot, integration: integration.name };
    const c = await countChanges(ctx, table);
    if (integration.safety.additionsOnly) {
      // What the diff would delete is kept instead: it joins the staged roster, identical to the stored rows, so
      // created, updated and unchanged stay as counted (an empty feed still holds the run).
      if (c.deleted > 0) await keepMissing(ctx, table);
      counts[table.kind] = { ...c, deleted: 0, kept: c.deleted };
    } else {
      counts[table.kind] = c;
    }
  }
  const reasons = [
    ...emptyFeedReasons(counts),
    ...deletionLimitReasons(counts, integration.safety),
    ...qualityBlockReasons(quality.counts, integration.quality.rules, quality.findings),
  ];
  const plan: JobPlan = { integration: integration.name, job, asOf, counts, quality, reasons };
  if (input.details !== undefined) plan.kinds = await planDetails(input, plan, input.details);
  return plan;
}

export async function planDetails(input: Pick<PlanInput, 'knex' | 'snapshot' | 'integration' | 'job'>, plan: JobPlan, limit: number): Promise<KindPlan[]> {
  const kinds: KindPlan[] = [];
  for (const table of JOB_TABLES[input.job]) {
    kinds.push(await planKind({ knex: input.knex, snapshot: input.snapshot, integration: input.integration.name }, table, plan.counts[table.kind]!, limit));
  }
  return kinds;
}
