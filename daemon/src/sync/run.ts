import type { IntegrationConfig } from '../config/types.js';
import { RosterdError, isRosterdError } from '../errors.js';
import { OneRosterClient, type ReadSummary, type RequestObserver } from '../oneroster/client.js';
import type { CollectionName, CollectionRecords } from '../oneroster/model.js';
import { buildRoster } from '../roster/build.js';
import { checkQuality, type QualityReport } from '../roster/quality.js';
import { resolveScope } from '../roster/scope.js';
import { JOB_TABLES, type Job } from '../roster/tables.js';
import type { Store } from '../store/db.js';
import type { RunCounts, RunStatus, Trigger } from '../store/runs.js';
import { applyChanges, countChanges, type Counts } from './diff.js';
import { Snapshot } from './snapshot.js';
import { todayIn } from './today.js';

/**
 * One sync of one integration: read the SIS once into a snapshot, then run each requested job (classes
 * before students) start to end: build the roster, check it, count the changes, apply them in one
 * transaction, record the run. A failure anywhere leaves the stored roster exactly as it was.
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
  quality: QualityReport['counts'];
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
  now?: Date;
  /** Wait for a run of the same job elsewhere to finish instead of refusing. */
  waitForLock?: boolean;
}

/** Collections each job reads. Orgs first: a wrong orgId fails before millions of enrollments are read. */
const READS: Record<Job, CollectionName[]> = {
  classes: ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments'],
  students: ['orgs', 'classes', 'users', 'enrollments'],
};

export async function syncIntegration(request: SyncRequest): Promise<JobResult[]> {
  const jobs = (['classes', 'students'] as const).filter((j) => request.jobs.includes(j));
  const results: JobResult[] = [];
  const snapshot = await Snapshot.create(request.store.knex);
  const client = new OneRosterClient({
    integration: request.integration.name,
    sis: request.integration.sis,
    getSecret: request.getSecret,
    observer: request.observer,
    signal: request.signal,
  });
  try {
    for (const job of jobs) {
      const result = await runJob(request, job, snapshot, client);
      results.push(result);
      // Students go into the classes the platform has: after a failed classes run there is nothing safe to do.
      if (job === 'classes' && result.status !== 'succeeded' && result.status !== 'succeeded_with_issues') break;
    }
  } finally {
    await client.close().catch(() => undefined);
    await snapshot.drop().catch(() => undefined);
  }
  return results;
}

async function runJob(request: SyncRequest, job: Job, snapshot: Snapshot, client: OneRosterClient): Promise<JobResult> {
  const { store, integration } = request;
  const name = integration.name;
  const run = await store.runs.start({ integration: name, job, trigger: request.trigger, wait: request.waitForLock });
  request.progress?.({ phase: 'job', integration: name, job, runId: run.id, step: 'started' });
  const result: JobResult = { integration: name, job, runId: run.id, status: 'failed', counts: {}, quality: {} };
  try {
    if (job === 'students') await requireClassesSynced(store, name);
    for (const collection of READS[job]) {
      if (!snapshot.has(collection)) await readCollection(request, snapshot, client, collection);
      // Check the scope as soon as the orgs are in: a wrong orgId fails before millions of records are read.
      if (collection === 'orgs') await checkScope(snapshot, integration);
    }
    request.progress?.({ phase: 'job', integration: name, job, runId: run.id, step: 'building' });
    const storeClasses = { table: 'roster_classes', integration: name };
    const asOf = todayIn(integration.schedule.timezone, request.now);
    const { collisions } = await buildRoster({ snapshot, job, integration: name, hapara: integration.hapara, asOf, storeClasses });
    const quality = await checkQuality({ snapshot, job, collisions, storeClasses });
    result.quality = quality.counts;
    for (const table of JOB_TABLES[job]) result.counts[table.kind] = addCounts(result.counts[table.kind], await countChanges({ knex: store.knex, snapshot, integration: name }, table));
    refuseEmptyRoster(result.counts, integration);

    request.signal?.throwIfAborted();
    request.progress?.({ phase: 'job', integration: name, job, runId: run.id, step: 'applying' });
    await store.knex.transaction(async (trx) => {
      // A run that went silent and was taken over must not write over the run that replaced it.
      await store.runs.assertHolding(trx, run.id);
      for (const table of JOB_TABLES[job]) await applyChanges(trx, snapshot, name, table);
    });
    await store.runs.addIssues(
      run.id,
      quality.findings.map((f) => ({ rule: f.rule, severity: 'warn', recordKind: f.recordKind, recordId: f.recordId, message: f.message })),
    );
    result.status = quality.findings.length > 0 ? 'succeeded_with_issues' : 'succeeded';
    await store.runs.finish(run.id, { status: result.status, counts: toRunCounts(result.counts) });
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
  request.progress?.({ phase: 'done', integration: name, result });
  return result;
}

async function readCollection(request: SyncRequest, snapshot: Snapshot, client: OneRosterClient, collection: CollectionName): Promise<void> {
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

/** Iterates a paged read, keeping its final summary (the generator's return value, which for-await drops). */
async function* capture<T>(gen: AsyncGenerator<T[], ReadSummary>, box: { summary?: ReadSummary }): AsyncGenerator<T[]> {
  for (;;) {
    const next = await gen.next();
    if (next.done) {
      box.summary = next.value;
      return;
    }
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
  const last = await store.runs.lastRun(integration, 'classes', ['succeeded', 'succeeded_with_issues']);
  if (!last) {
    throw new RosterdError('ROSTERD_CLASSES_NOT_SYNCED', `the students job of ${integration} needs its classes synced first, and no classes run has succeeded yet`, {
      dataEffect: 'run failed, roster unchanged',
      hint: `run \`rosterd sync --integration ${integration} --job classes\` (or --job all) first.`,
    });
  }
}

/** A SIS that had a roster and now returns none for a kind is far likelier broken than emptied: refuse. */
function refuseEmptyRoster(counts: Counts, integration: IntegrationConfig): void {
  for (const [kind, c] of Object.entries(counts)) {
    if (c && c.before > 0 && c.created + c.updated + c.unchanged === 0) {
      throw new RosterdError('ROSTERD_SIS_EMPTY_ROSTER', `${integration.sis.urlPrefix} returned no ${kind} for ${integration.sis.orgId}, where the store holds ${c.before}`, {
        dataEffect: 'run failed, roster unchanged',
        hint: 'check the SIS (license, sharing rules, term rollover) and sis.orgId; the stored roster is kept until the SIS returns data again.',
      });
    }
  }
}

function addCounts(a: Counts[keyof Counts], b: NonNullable<Counts[keyof Counts]>): NonNullable<Counts[keyof Counts]> {
  if (!a) return b;
  return { created: a.created + b.created, updated: a.updated + b.updated, deleted: a.deleted + b.deleted, unchanged: a.unchanged + b.unchanged, before: a.before + b.before };
}

function toRunCounts(counts: Counts): RunCounts {
  const out: RunCounts = {};
  for (const [kind, c] of Object.entries(counts)) if (c) out[kind] = { created: c.created, updated: c.updated, deleted: c.deleted, unchanged: c.unchanged };
  return out;
}

function describeFailure(err: unknown, interrupted: boolean): { code: string; message: string } {
  if (interrupted) return { code: 'ROSTERD_RUN_INTERRUPTED', message: 'the run was stopped before it finished; the roster is unchanged' };
  if (isRosterdError(err)) return { code: err.code, message: err.describe() };
  return { code: 'ROSTERD_INTERNAL', message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

export type { CollectionRecords };
