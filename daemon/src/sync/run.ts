import type { IntegrationConfig } from '../config/types.js';
import { RosterdError, isRosterdError } from '../errors.js';
import type { NotifyEventKind, SyncEvent } from '../notify/index.js';
import { OneRosterClient, type ReadSummary, type RequestObserver } from '../oneroster/client.js';
import type { CollectionName } from '../oneroster/model.js';
import type { ClassSource } from '../roster/build.js';
import type { RuleName } from '../roster/quality.js';
import { resolveScope } from '../roster/scope.js';
import { JOB_TABLES, type Job } from '../roster/tables.js';
import type { Store } from '../store/db.js';
import type { RunIssue, RunRecord, RunStatus, Trigger } from '../store/runs.js';
import { applyChanges, toRunCounts, type Counts } from './diff.js';
import { heldSnapshotIds, holdRun } from './held.js';
import { planDetails, planJob, type JobPlan } from './prepare.js';
import type { HoldReason } from './safety.js';
import { dropOrphanedSnapshots, Snapshot } from './snapshot.js';

/**
 * One sync of one integration: read the SIS once into a snapshot, then run each requested job (classes
 * before students) start to end: plan (build the roster, check it, count the changes, check the limits),
 * then apply in one transaction, or hold the run for an admin. A failure anywhere leaves the stored roster
 * exactly as it was.
 */

export type ProgressEvent =
  | { phase: 'read'; integration: string; collection: CollectionName; received: number }
  | { phase: 'job'; integration: string; job: Job; runId: number; step: 'started' | 'building' | 'applying' }
  | { phase: 'done'; integration: string; result: JobResult };

export interface JobResult {
  integration: string;
  job: Job;
  runId: number | null;
  status: Exclude<RunStatus, 'running'>;
  counts: Counts;
  quality: Partial<Record<RuleName, number>>;
  /** Why a held run was held. */
  holdReasons?: HoldReason[];
  error?: { code: string; message: string };
}

export interface SyncRequest {
  store: Store;
  integration: IntegrationConfig;
  jobs: Job[];
  trigger: Trigger;
  getSecret: () => Promise<string>;
  observer?: RequestObserver;
  signal?: AbortSignal;
  progress?: (event: ProgressEvent) => void;
  /** Receives each finished job's notification events (a Notifier sends those its targets asked for). */
  notify?: (event: SyncEvent) => void;
  /** Where people can look a run up (server.publicUrl), for the link in notifications. */
  publicUrl?: string;
  now?: Date;
  /** Wait for a run of the same job elsewhere to finish instead of refusing. */
  waitForLock?: boolean;
}

/** Collections each job reads. Orgs first: a wrong orgId fails before millions of enrollments are read. */
const READS: Record<Job, CollectionName[]> = {
  classes: ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments'],
  students: ['orgs', 'classes', 'users', 'enrollments'],
};

/** Named changes a held run keeps with its plan, per kind and change type. */
const HELD_PLAN_SAMPLES = 50;

const APPLIED: RunStatus[] = ['succeeded', 'succeeded_with_issues'];

export async function syncIntegration(request: SyncRequest): Promise<JobResult[]> {
  const jobs = orderJobs(request.jobs);
  const results: JobResult[] = [];
  await withSnapshot(request, async (snapshot, client) => {
    for (const job of jobs) {
      const result = await runJob(request, job, snapshot, client);
      results.push(result);
      // Students go into the classes the platform has: after a classes run that did not apply, stop.
      if (job === 'classes' && !APPLIED.includes(result.status)) break;
    }
  });
  return results;
}

/**
 * `rosterd plan`: the same reads and the same plan as a sync, without a run, a lock or any roster change.
 * Planning both jobs plans the students against the classes as the classes job would leave them.
 */
export async function planIntegration(request: Omit<SyncRequest, 'trigger' | 'waitForLock' | 'notify'>, sampleLimit: number): Promise<JobPlan[]> {
  const jobs = orderJobs(request.jobs);
  const plans: JobPlan[] = [];
  await withSnapshot(request, async (snapshot, client) => {
    if (jobs[0] === 'students' && jobs.length === 1) await requireClassesSynced(request.store, request.integration.name);
    for (const job of jobs) await readFor(request, job, snapshot, client);
    for (const job of jobs) {
      const classSource: ClassSource = jobs.includes('classes') ? { table: snapshot.table('r_classes'), integration: null } : storeClasses(request.integration);
      plans.push(await planJob({ knex: request.store.knex, snapshot, integration: request.integration, job, classSource, now: request.now, details: sampleLimit }));
    }
  });
  return plans;
}

function orderJobs(jobs: Job[]): Job[] {
  return (['classes', 'students'] as const).filter((j) => jobs.includes(j));
}

function storeClasses(integration: IntegrationConfig): ClassSource {
  return { table: 'roster_classes', integration: integration.name };
}

async function withSnapshot(
  request: Pick<SyncRequest, 'store' | 'integration' | 'getSecret' | 'observer' | 'signal'>,
  work: (snapshot: Snapshot, client: OneRosterClient) => Promise<void>,
): Promise<void> {
  // Leftovers of a process that died mid-run are scratch: clear them before staging anew.
  await dropOrphanedSnapshots(request.store.knex, await heldSnapshotIds(request.store));
  const snapshot = await Snapshot.create(request.store.knex);
  const client = new OneRosterClient({
    integration: request.integration.name,
    sis: request.integration.sis,
    getSecret: request.getSecret,
    observer: request.observer,
    signal: request.signal,
  });
  try {
    await work(snapshot, client);
  } finally {
    await client.close().catch(() => undefined);
    await snapshot.drop().catch(() => undefined);
  }
}

async function readFor(request: Pick<SyncRequest, 'integration' | 'progress'>, job: Job, snapshot: Snapshot, client: OneRosterClient): Promise<void> {
  for (const collection of READS[job]) {
    if (snapshot.has(collection)) continue;
    await readCollection(request, snapshot, client, collection);
    // Check the scope as soon as the orgs are in: a wrong orgId fails before millions of records are read.
    if (collection === 'orgs') await checkScope(snapshot, request.integration);
  }
}

async function runJob(request: SyncRequest, job: Job, snapshot: Snapshot, client: OneRosterClient): Promise<JobResult> {
  const { store, integration } = request;
  const name = integration.name;
  const previous = await store.runs.lastRun(name, job);
  const run = await store.runs.start({ integration: name, job, trigger: request.trigger, wait: request.waitForLock });
  request.progress?.({ phase: 'job', integration: name, job, runId: run.id, step: 'started' });
  const result: JobResult = { integration: name, job, runId: run.id, status: 'failed', counts: {}, quality: {} };
  let heldPlanChanged = false;
  try {
    if (job === 'students') await requireClassesSynced(store, name);
    await readFor(request, job, snapshot, client);
    request.progress?.({ phase: 'job', integration: name, job, runId: run.id, step: 'building' });
    const plan = await planJob({ knex: store.knex, snapshot, integration, job, classSource: storeClasses(integration), now: request.now });
    result.counts = plan.counts;
    result.quality = plan.quality.counts;
    request.signal?.throwIfAborted();
    await store.runs.addIssues(
      run.id,
      plan.quality.findings.map((f) => ({
        rule: f.rule,
        severity: integration.quality.rules[f.rule] ?? 'warn',
        recordKind: f.recordKind,
        recordId: f.recordId,
        message: f.message,
      })),
    );
    await store.runs.addIssues(run.id, withheldDeletionIssues(plan));

    if (plan.reasons.length > 0) {
      // Held: nothing applied; the plan (with its staged roster) waits for an admin's decision.
      plan.kinds = await planDetails({ knex: store.knex, snapshot, integration, job }, plan, HELD_PLAN_SAMPLES);
      heldPlanChanged = (await holdRun(store, run.id, snapshot, plan)).changed;
      result.status = 'held';
      result.holdReasons = plan.reasons;
      result.error = {
        code: 'ROSTERD_RUN_HELD',
        message: `held, nothing applied: ${plan.reasons.map((r) => r.message).join('; ')}. Review with \`rosterd logs ${run.id}\`, then \`rosterd approve ${run.id}\` or \`rosterd discard ${run.id}\`.`,
      };
      await store.runs.finish(run.id, { status: 'held', counts: toRunCounts(result.counts), errorCode: result.error.code, errorMessage: result.error.message });
    } else {
      request.progress?.({ phase: 'job', integration: name, job, runId: run.id, step: 'applying' });
      await store.knex.transaction(async (trx) => {
        // A run that went silent and was taken over must not write over the run that replaced it.
        await store.runs.assertHolding(trx, run.id);
        for (const table of JOB_TABLES[job]) {
          const c = plan.counts[table.kind];
          // Counted under this same lock from the same snapshot: a table with nothing to change is not touched.
          if (c && c.created + c.updated + c.deleted > 0) await applyChanges(trx, snapshot, name, table);
        }
      });
      result.status = plan.quality.findings.length > 0 ? 'succeeded_with_issues' : 'succeeded';
      await store.runs.finish(run.id, { status: result.status, counts: toRunCounts(result.counts) });
    }
  } catch (err) {
    const interrupted = request.signal?.aborted === true;
    result.status = interrupted ? 'interrupted' : 'failed';
    result.error = describeFailure(err, interrupted);
    try {
      await store.runs.finish(run.id, { status: result.status, counts: toRunCounts(result.counts), errorCode: result.error.code, errorMessage: result.error.message });
    } catch (finishErr) {
      // The run was taken over (its lock lost): the original failure is the one worth reporting.
      if (!isRosterdError(finishErr)) throw finishErr;
    }
    if (!isRosterdError(err) && !interrupted) throw err;
  }
  if (request.notify) for (const event of notificationEvents(result, previous, heldPlanChanged, request.publicUrl)) request.notify(event);
  request.progress?.({ phase: 'done', integration: name, result });
  return result;
}

/**
 * The events a finished job raises: its outcome, plus `recovered` when it applied after a failed or held run.
 * A held plan that repeats the one already waiting raises nothing (no alarm on every scheduled run).
 */
export function notificationEvents(result: JobResult, previous: RunRecord | null, heldPlanChanged: boolean, publicUrl?: string): SyncEvent[] {
  const kinds: NotifyEventKind[] = [];
  switch (result.status) {
    case 'failed':
      kinds.push('failed');
      break;
    case 'held':
      if (heldPlanChanged) kinds.push('held');
      break;
    case 'succeeded':
    case 'succeeded_with_issues':
      kinds.push(result.status);
      if (previous && (previous.status === 'failed' || previous.status === 'held')) kinds.push('recovered');
      break;
    case 'interrupted':
      break;
  }
  const counts: SyncEvent['counts'] = {};
  for (const [kind, c] of Object.entries(result.counts)) if (c) counts[kind] = { created: c.created, updated: c.updated, deleted: c.deleted, ...(c.kept ? { kept: c.kept } : {}) };
  const topIssues = Object.entries(result.quality)
    .map(([rule, count]) => ({ rule, count: count ?? 0 }))
    .sort((a, b) => b.count - a.count)
    .slice(0, 5);
  const at = new Date().toISOString();
  const runUrl = publicUrl && result.runId !== null ? `${publicUrl.replace(/\/+$/, '')}/api/v1/runs/${result.runId}` : undefined;
  return kinds.map((kind) => ({ kind, integration: result.integration, job: result.job, runId: result.runId, status: result.status, counts, topIssues, error: result.error, runUrl, at }));
}

async function readCollection(request: Pick<SyncRequest, 'integration' | 'progress'>, snapshot: Snapshot, client: OneRosterClient, collection: CollectionName): Promise<void> {
  const box: { summary?: ReadSummary } = {};
  const pages = capture(client.read(collection), box);
  const counts = await snapshot.stage(collection, pages, (c) =>
    request.progress?.({ phase: 'read', integration: request.integration.name, collection, received: c.received }),
  );
  const summary = box.summary;
  if (summary && !summary.complete) {
    throw new RosterdError(
      'ROSTERD_SIS_SHORT_READ',
      `${request.integration.sis.urlPrefix}/${collection} returned ${counts.received} records where X-Total-Count promised ${summary.totalCount}`,
      { dataEffect: 'run failed, roster unchanged', hint: 'the SIS ended the read early; try again later, and ask the SIS vendor if it persists.' },
    );
  }
  // The roster build joins enrollments by user and class.
  if (collection === 'enrollments') await snapshot.addIndex('enrollments', ['user_id', 'class_id']);
}

/**
 * Iterates a paged read, keeping its final summary (the generator's return value, which for-await drops).
 * It asks for the next page before handing out the current one, so the SIS prepares and sends page N+1
 * while page N is being staged.
 */
async function* capture<T>(gen: AsyncGenerator<T[], ReadSummary>, box: { summary?: ReadSummary }): AsyncGenerator<T[]> {
  let pending = gen.next();
  for (;;) {
    const next = await pending;
    if (next.done) {
      box.summary = next.value;
      return;
    }
    pending = gen.next();
    // Its failure surfaces at the await above; until then it must not count as an unhandled rejection.
    pending.catch(() => undefined);
    yield next.value;
  }
}

async function checkScope(snapshot: Snapshot, integration: IntegrationConfig): Promise<void> {
  const scope = await resolveScope(snapshot, integration.sis.orgId, integration.sis.urlPrefix);
  if (scope.schoolCount === 0) {
    throw new RosterdError('ROSTERD_SIS_ORG_NOT_FOUND', `orgId "${integration.sis.orgId}" (${scope.org.name}) has no active schools at ${integration.sis.urlPrefix}/orgs`, {
      dataEffect: 'run failed, roster unchanged',
      hint: "check sis.orgId: a district's schools must name it as their parent.",
    });
  }
}

async function requireClassesSynced(store: Store, integration: string): Promise<void> {
  const last = await store.runs.lastRun(integration, 'classes', APPLIED);
  if (!last) {
    throw new RosterdError('ROSTERD_CLASSES_NOT_SYNCED', `the students job of ${integration} needs its classes synced first, and no classes run has succeeded yet`, {
      dataEffect: 'run failed, roster unchanged',
      hint: `run \`rosterd sync --integration ${integration} --job classes\` (or --job all) first.`,
    });
  }
}


function describeFailure(err: unknown, interrupted: boolean): { code: string; message: string } {
  if (interrupted) return { code: 'ROSTERD_RUN_INTERRUPTED', message: 'the run was stopped before it finished; the roster is unchanged' };
  if (isRosterdError(err)) return { code: err.code, message: err.describe() };
  return { code: 'ROSTERD_INTERNAL', message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

/** Additions-only mode: one info issue per kind whose deletions were withheld, so the data log says so. */
function withheldDeletionIssues(plan: JobPlan): RunIssue[] {
  return Object.entries(plan.counts)
    .filter(([, c]) => (c?.kept ?? 0) > 0)
    .map(([kind, c]) => ({
      rule: 'deletions_withheld',
      severity: 'info' as const,
      recordKind: kind,
      recordId: null,
      message: `kept ${c!.kept} ${kind} the SIS no longer returns: safety.additionsOnly is on, so this run deleted nothing`,
    }));
}
