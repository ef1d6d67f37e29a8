import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { RosterdError } from '../errors.js';
import { JOB_TABLES, type Job } from '../roster/tables.js';
import type { Store } from '../store/db.js';
import type { RunCounts, Trigger } from '../store/runs.js';
import { applyChanges, toRunCounts } from './diff.js';
import type { JobPlan } from './prepare.js';
import { Snapshot } from './snapshot.js';

/**
 * Held runs: a plan that may not apply on its own waits, with its staged roster kept in the store, until an
 * admin approves it (applied exactly, if the store has not changed since) or discards it. A newer held plan of
 * the same job replaces an older one.
 */

/** What the data log keeps for a held run. */
export interface HeldPlan {
  snapshotId: string;
  /** The staged roster tables kept for approval. */
  tables: string[];
  /** The newest roster-changing run of the integration when planned: approval requires it unchanged. */
  fingerprint: number;
  /** Same digest = same plan: a repeat of a held plan raises no new notification. */
  digest: string;
  plan: JobPlan;
}

const APPLIED = ['succeeded', 'succeeded_with_issues'];

/**
 * The id of the newest run that changed this integration's roster (0 when none): every roster change goes
 * through a run that records its counts, and runs that changed nothing do not move it.
 */
export async function rosterFingerprint(knex: Knex, integration: string): Promise<number> {
  let before = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = (await knex('runs').select('id', 'counts').where({ integration }).whereIn('status', APPLIED).andWhere('id', '<', before).orderBy('id', 'desc').limit(200)) as {
      id: number;
      counts: string | null;
    }[];
    if (rows.length === 0) return 0;
    for (const row of rows) {
      const counts = row.counts ? (JSON.parse(row.counts) as RunCounts) : {};
      if (Object.values(counts).some((c) => c.created + c.updated + c.deleted > 0)) return Number(row.id);
    }
    before = Number(rows[rows.length - 1]!.id);
  }
}

function digestOf(plan: JobPlan, fingerprint: number): string {
  const counts = Object.entries(plan.counts).map(([k, c]) => [k, c!.created, c!.updated, c!.deleted]);
  return createHash('sha256').update(JSON.stringify({ fingerprint, counts, reasons: plan.reasons.map((r) => r.message) })).digest('hex').slice(0, 16);
}

/**
 * Keeps the plan of a run that is being held and supersedes an older pending one. Returns whether the held
 * plan is new or changed (notify) or a repeat of the one already waiting (do not notify again).
 */
export async function holdRun(store: Store, runId: number, snapshot: Snapshot, plan: JobPlan): Promise<{ changed: boolean; superseded: number[] }> {
  const fingerprint = await rosterFingerprint(store.knex, plan.integration);
  const tables = snapshot.keep(['r_schools', 'r_classes', 'r_users', 'r_memberships']);
  const held: HeldPlan = { snapshotId: snapshot.id, tables, fingerprint, digest: digestOf(plan, fingerprint), plan };
  await store.runs.savePlan(runId, held);
  let changed = true;
  const superseded: number[] = [];
  for (const older of await store.runs.pendingHeld(plan.integration, plan.job)) {
    if (older.id === runId) continue;
    const previous = await store.runs.getPlan<HeldPlan>(older.id);
    if (previous?.digest === held.digest) changed = false;
    if (await store.runs.decide(older.id, 'superseded', `run ${runId}`)) superseded.push(older.id);
    if (previous) await dropKept(store.knex, previous);
  }
  return { changed, superseded };
}

/** The snapshots whose staged roster a pending held run keeps (never orphans). */
export async function heldSnapshotIds(store: Store): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const run of await store.runs.pendingHeld()) {
    const held = await store.runs.getPlan<HeldPlan>(run.id);
    if (held) ids.add(held.snapshotId);
  }
  return ids;
}

async function dropKept(knex: Knex, held: HeldPlan): Promise<void> {
  for (const table of held.tables) await knex.schema.dropTableIfExists(table);
}

async function pendingPlan(store: Store, runId: number): Promise<{ job: Job; integration: string; held: HeldPlan }> {
  const run = await store.runs.get(runId);
  if (!run) throw new RosterdError('ROSTERD_RUN_NOT_FOUND', `there is no run ${runId} in the data log`, { hint: 'list held runs with `rosterd logs`.' });
  if (run.status !== 'held' || run.decision !== null) {
    const state = run.status !== 'held' ? `is ${run.status}, not held` : `was already ${run.decision} by ${run.decidedBy} at ${run.decidedAt}`;
    throw new RosterdError('ROSTERD_RUN_NOT_PENDING', `run ${runId} ${state}; nothing changed`, { hint: 'only a held run waiting for a decision can be approved or discarded.' });
  }
  const held = await store.runs.getPlan<HeldPlan>(runId);
  if (!held) throw new RosterdError('ROSTERD_RUN_NOT_PENDING', `run ${runId} has no kept plan; nothing changed`, { hint: 'run a new sync.' });
  return { job: run.job, integration: run.integration, held };
}

/**
 * Applies exactly the held plan of `runId` as a new run (so the data log shows who approved it and what it
 * changed), provided the store has not changed since the plan was made; otherwise refuses with the reason.
 */
export async function approveHeldRun(store: Store, runId: number, options: { by: string; trigger: Trigger }): Promise<{ runId: number; counts: RunCounts }> {
  const { job, integration, held } = await pendingPlan(store, runId);
  const run = await store.runs.start({ integration, job, trigger: options.trigger });
  const snapshot = Snapshot.attach(store.knex, held.snapshotId);
  const counts = toRunCounts(held.plan.counts);
  try {
    await store.knex.transaction(async (trx) => {
      await store.runs.assertHolding(trx, run.id);
      const now = await rosterFingerprint(trx, integration);
      if (now !== held.fingerprint) {
        throw new RosterdError('ROSTERD_PLAN_STALE', `the roster of ${integration} changed since run ${runId} was planned (run ${now} applied changes); the held plan was not applied`, {
          dataEffect: 'nothing changed',
          hint: 'run a new sync: it plans against the current roster (and is held again if it is still over a limit).',
        });
      }
      if (!(await store.runs.decide(runId, 'approved', options.by, trx))) {
        throw new RosterdError('ROSTERD_RUN_NOT_PENDING', `run ${runId} was decided by someone else meanwhile; nothing changed`);
      }
      for (const table of JOB_TABLES[job]) await applyChanges(trx, snapshot, integration, table);
    });
  } catch (err) {
    const code = err instanceof RosterdError ? err.code : 'ROSTERD_INTERNAL';
    await store.runs.finish(run.id, { status: 'failed', errorCode: code, errorMessage: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
    throw err;
  }
  await store.runs.addIssues(run.id, [
    { rule: 'approved_plan', severity: 'info', recordKind: 'run', recordId: String(runId), message: `applied the plan of held run ${runId}, approved by ${options.by}` },
  ]);
  await store.runs.finish(run.id, { status: 'succeeded', counts });
  await dropKept(store.knex, held);
  return { runId: run.id, counts };
}

export async function discardHeldRun(store: Store, runId: number, options: { by: string }): Promise<void> {
  const { held } = await pendingPlan(store, runId);
  if (!(await store.runs.decide(runId, 'discarded', options.by))) {
    throw new RosterdError('ROSTERD_RUN_NOT_PENDING', `run ${runId} was decided by someone else meanwhile; nothing changed`);
  }
  await dropKept(store.knex, held);
}
