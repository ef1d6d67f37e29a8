import type { Knex } from 'knex';
import { RosterdError } from '../errors.js';
import {
  claimWriter,
  deleteLock,
  holderLiveness,
  insertLock,
  newHolderIdentity,
  readHolder,
  releaseLockOfRun,
  touchLock,
  type LockHolder,
} from './locks.js';

export type RunStatus = 'running' | 'succeeded' | 'succeeded_with_issues' | 'failed' | 'held' | 'interrupted';
export type Job = 'classes' | 'students';
export type Trigger = 'manual' | 'schedule' | 'api' | 'catch-up';

/** Every status a run ends in. */
export const FINISHED: readonly RunStatus[] = ['succeeded', 'succeeded_with_issues', 'failed', 'held', 'interrupted'];

/** A held run nobody has approved, discarded or superseded yet. */
export function awaitingDecision(run: Pick<RunRecord, 'status' | 'decision'> | null | undefined): boolean {
  return run?.status === 'held' && run.decision === null;
}

/** kinds: schools, classes, teachers, students, enrollments */
export interface RunCounts {
  [kind: string]: { created: number; updated: number; deleted: number; unchanged?: number; kept?: number };
}

export interface RunIssue {
  rule: string;
  severity: 'warn' | 'block' | 'info';
  recordKind: string | null;
  recordId: string | null;
  message: string;
}

export interface RunRecord {
  id: number;
  integration: string;
  job: Job;
  trigger: Trigger;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  counts: RunCounts | null;
  errorCode: string | null;
  errorMessage: string | null;
  issueCount: number;
  /** A held run's decision: approved, discarded, or superseded by a newer held plan. */
  decision: HeldDecision | null;
  decidedBy: string | null;
  decidedAt: string | null;
}

export type HeldDecision = 'approved' | 'discarded' | 'superseded';

export interface StartRunInput {
  integration: string;
  job: Job;
  trigger: Trigger;
  /** Wait for a live holder to finish instead of refusing: forever (`true`) or up to `timeoutMs`. */
  wait?: boolean | { timeoutMs: number };
}

export interface FinishRunInput {
  status: Exclude<RunStatus, 'running'>;
  counts?: RunCounts;
  errorCode?: string;
  errorMessage?: string;
}

export interface RunLogOptions {
  /** A holder silent for longer than this is dead and its lock is taken over. Default 2 minutes. */
  lockStaleMs?: number;
  /** How often a run started here refreshes its heartbeat on its own. Default a quarter of lockStaleMs. */
  heartbeatIntervalMs?: number;
  /** How often a waiting start looks again. Default 500 ms. */
  waitPollMs?: number;
}

export const ABANDONED_CODE = 'ROSTERD_RUN_ABANDONED';
const RUNS = 'runs';
const ISSUES = 'run_issues';
const PLANS = 'run_plans';
const ISSUE_BATCH = 200; // 6 bound values each: far below SQLite's and PostgreSQL's parameter limits

interface RunRow {
  id: number;
  integration: string;
  job: string;
  trigger: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  counts: string | null;
  error_code: string | null;
  error_message: string | null;
  issue_count: number;
  decision?: string | null;
  decided_by?: string | null;
  decided_at?: string | null;
}

interface IssueRow {
  rule: string;
  severity: string;
  record_kind: string | null;
  record_id: string | null;
  message: string;
}

type StartOutcome = { run: RunRecord; token: string } | { holder: LockHolder | null };

/**
 * The data log: every run of a job, with its outcome and issues, and the lock that makes each run the only
 * writer of its (integration, job). A run that died is marked failed by the next run of the same job, so the log
 * never shows a dead run as `running` once something else has started.
 */
export class RunLog {
  private readonly staleMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  /** Runs started through this log: their lock token and the timer that keeps their heartbeat fresh. */
  private readonly held = new Map<number, { token: string; timer: NodeJS.Timeout }>();

  constructor(private readonly knex: Knex, options: RunLogOptions = {}) {
    this.staleMs = options.lockStaleMs ?? 120_000;
    this.heartbeatMs = options.heartbeatIntervalMs ?? Math.max(1_000, Math.floor(this.staleMs / 4));
    this.pollMs = options.waitPollMs ?? 500;
  }

  async start(input: StartRunInput): Promise<RunRecord> {
    const startedWaiting = Date.now();
    const deadline = input.wait === true ? Infinity : typeof input.wait === 'object' ? startedWaiting + input.wait.timeoutMs : null;
    for (;;) {
      let outcome: StartOutcome;
      try {
        outcome = await this.tryStart(input);
      } catch (err) {
        // Another process kept the whole store busy for longer than busy_timeout (a long apply): it is
        // a live writer, so treat it like a live holder.
        if (!isBusy(err)) throw err;
        if (deadline === null) {
          throw new RosterdError('ROSTERD_STORE_BUSY', `the store is busy with another process's write, so the ${input.job} sync of ${input.integration} could not start`, {
            hint: 'try again in a minute, or wait for the running sync to finish.',
            dataEffect: 'nothing changed',
            cause: err,
          });
        }
        outcome = { holder: null };
      }
      if ('run' in outcome) {
        this.track(outcome.run.id, outcome.token);
        return outcome.run;
      }
      const now = Date.now();
      if (deadline === null || now >= deadline) throw this.jobRunning(input, outcome.holder, deadline === null ? null : now - startedWaiting);
      await sleep(Math.min(this.pollMs, deadline - now));
    }
  }

  private async tryStart(input: StartRunInput): Promise<StartOutcome> {
    const { integration, job, trigger } = input;
    const identity = newHolderIdentity();
    return this.knex.transaction(async (trx) => {
      await claimWriter(trx, integration, job);
      const now = new Date();
      const holder = await readHolder(trx, integration, job);
      let reason = 'its process stopped without finishing it';
      if (holder) {
        const liveness = holderLiveness(holder, { staleMs: this.staleMs, now: now.getTime() });
        if (liveness.alive) return { holder };
        reason = liveness.reason;
        await deleteLock(trx, integration, job);
      }
      const at = now.toISOString();
      const [row] = (await trx(RUNS).insert(
        { integration, job, trigger, status: 'running', started_at: at, issue_count: 0, pid: identity.pid, host: identity.host },
        ['id'],
      )) as Array<{ id: number } | number>;
      const id = typeof row === 'object' ? Number(row.id) : Number(row);
      // Any earlier run of this job still marked running has no live holder now: its process died.
      await trx(RUNS)
        .where({ integration, job, status: 'running' })
        .andWhere('id', '<>', id)
        .update({
          status: 'failed',
          ended_at: at,
          error_code: ABANDONED_CODE,
          // Roster changes apply in one transaction, so the roster holds all of a dead run's changes or none.
          error_message: `this run was abandoned: ${reason}; run ${id} took over. A run applies its changes in one transaction, so the roster has all of them or none.`,
        });
      await insertLock(trx, { integration, job, runId: id, ...identity, acquiredAt: at, heartbeatAt: at });
      const run: RunRecord = {
        id,
        integration,
        job,
        trigger,
        status: 'running',
        startedAt: at,
        endedAt: null,
        counts: null,
        errorCode: null,
        errorMessage: null,
        issueCount: 0,
        decision: null,
        decidedBy: null,
        decidedAt: null,
      };
      return { run, token: identity.token };
    });
  }

  private jobRunning(input: StartRunInput, holder: LockHolder | null, waitedMs: number | null): RosterdError {
    const who = holder ? ` (run ${holder.runId}, pid ${holder.pid} on host ${holder.host}, started ${holder.acquiredAt})` : '';
    const waited = waitedMs === null ? '' : ` after waiting ${Math.round(waitedMs / 1000)} s`;
    return new RosterdError('ROSTERD_JOB_RUNNING', `a ${input.job} sync of ${input.integration} is already running${who}${waited}`, {
      hint: `wait for it to finish (\`rosterd logs --integration ${input.integration}\` shows it), then run again; if its process is gone, the next run takes over after ${Math.round(this.staleMs / 1000)} s without a heartbeat.`,
      dataEffect: 'nothing changed',
    });
  }

  private track(runId: number, token: string): void {
    const timer = setInterval(() => {
      this.heartbeat(runId).catch(() => this.untrack(runId));
    }, this.heartbeatMs);
    timer.unref(); // a heartbeat must never keep a finished CLI process alive
    this.held.set(runId, { token, timer });
  }

  private untrack(runId: number): void {
    const entry = this.held.get(runId);
    if (entry) clearInterval(entry.timer);
    this.held.delete(runId);
  }

  /** Stops the automatic heartbeats (the store is closing). Locks stay: the next run takes them over. */
  stopHeartbeats(): void {
    for (const runId of [...this.held.keys()]) this.untrack(runId);
  }

  /** Proves the run's holder is alive. Throws ROSTERD_RUN_LOCK_LOST when another run took the lock over. */
  async heartbeat(runId: number): Promise<void> {
    const ok = await touchLock(this.knex, runId, this.held.get(runId)?.token, new Date().toISOString());
    if (!ok) throw this.lockLost(runId);
  }

  /**
   * For the sync's apply transaction: take the write lock, refresh the heartbeat and make sure this run still
   * holds its job, all before the first roster write, so a run declared dead can never apply over its successor.
   */
  async assertHolding(trx: Knex.Transaction, runId: number): Promise<void> {
    const ok = await touchLock(trx, runId, this.held.get(runId)?.token, new Date().toISOString());
    if (!ok) throw this.lockLost(runId);
  }

  private lockLost(runId: number): RosterdError {
    return new RosterdError('ROSTERD_RUN_LOCK_LOST', `run ${runId} no longer holds its job lock: another run took it over after this one went silent`, {
      hint: 'check `rosterd logs` for the run that took over; keep runs heartbeating (a stalled process or a clock jump causes this).',
      dataEffect: 'nothing changed',
    });
  }

  async finish(runId: number, result: FinishRunInput): Promise<void> {
    const token = this.held.get(runId)?.token;
    this.untrack(runId);
    const updated = await this.knex.transaction(async (trx) => {
      // Write first, read never: this transaction only writes, so it queues behind other writers cleanly.
      const changed = await trx(RUNS)
        .where({ id: runId, status: 'running' })
        .update({
          status: result.status,
          ended_at: new Date().toISOString(),
          counts: result.counts ? JSON.stringify(result.counts) : null,
          error_code: result.errorCode ?? null,
          error_message: result.errorMessage ?? null,
        });
      if (changed > 0) await releaseLockOfRun(trx, runId, token);
      return changed;
    });
    if (updated === 0) {
      const run = await this.getRecord(runId);
      const state = run ? `it is ${run.status}${run.errorCode ? ` (${run.errorCode})` : ''}` : 'there is no such run';
      throw new RosterdError('ROSTERD_RUN_NOT_RUNNING', `cannot record the end of run ${runId}: ${state}`, {
        hint: 'another process marked this run finished or abandoned; see `rosterd logs ' + runId + '`.',
      });
    }
  }

  async addIssues(runId: number, issues: RunIssue[]): Promise<void> {
    if (issues.length === 0) return;
    await this.knex.transaction(async (trx) => {
      const changed = await trx(RUNS).where({ id: runId }).increment('issue_count', issues.length);
      if (changed === 0) throw new RosterdError('ROSTERD_RUN_NOT_FOUND', `run ${runId} is not in the data log`);
      for (let i = 0; i < issues.length; i += ISSUE_BATCH) {
        const rows = issues.slice(i, i + ISSUE_BATCH).map((issue) => ({
          run_id: runId,
          rule: issue.rule,
          severity: issue.severity,
          record_kind: issue.recordKind,
          record_id: issue.recordId,
          message: issue.message,
        }));
        await trx(ISSUES).insert(rows);
      }
    });
  }

  /** Newest first. */
  async list(filter: { integration?: string; job?: Job; limit?: number } = {}): Promise<RunRecord[]> {
    const query = this.knex<RunRow>(RUNS).select('*').orderBy('id', 'desc');
    if (filter.integration !== undefined) query.where('integration', filter.integration);
    if (filter.job !== undefined) query.where('job', filter.job);
    if (filter.limit !== undefined) query.limit(filter.limit);
    return ((await query) as RunRow[]).map(toRecord);
  }

  async get(runId: number): Promise<(RunRecord & { issues: RunIssue[] }) | null> {
    const run = await this.getRecord(runId);
    if (!run) return null;
    const rows = (await this.knex(ISSUES).where({ run_id: runId }).orderBy('id')) as IssueRow[];
    return { ...run, issues: rows.map(toIssue) };
  }

  async lastRun(integration: string, job: Job, status?: readonly RunStatus[]): Promise<RunRecord | null> {
    const query = this.knex<RunRow>(RUNS).where({ integration, job }).orderBy('id', 'desc').first();
    if (status && status.length > 0) query.whereIn('status', status);
    const row = (await query) as RunRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Records the decision on a held run, once: false when it was already decided (or is not held). */
  async decide(runId: number, decision: HeldDecision, by: string, trx: Knex = this.knex): Promise<boolean> {
    const changed: number = await trx(RUNS)
      .where({ id: runId, status: 'held' })
      .whereNull('decision')
      .update({ decision, decided_by: by, decided_at: new Date().toISOString() });
    return changed === 1;
  }

  /** Held runs still waiting for a decision, newest first (at most one per job once superseding has run). */
  async pendingHeld(integration?: string, job?: Job): Promise<RunRecord[]> {
    const query = this.knex<RunRow>(RUNS).where({ status: 'held' }).whereNull('decision').orderBy('id', 'desc');
    if (integration) query.andWhere({ integration });
    if (job) query.andWhere({ job });
    return ((await query) as RunRow[]).map(toRecord);
  }

  /** Keeps a held run's plan (issue 5): stored apart from the run so listing runs stays light. */
  async savePlan(runId: number, plan: unknown): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx(PLANS).where({ run_id: runId }).delete();
      await trx(PLANS).insert({ run_id: runId, plan: JSON.stringify(plan), created_at: new Date().toISOString() });
    });
  }

  async getPlan<T = unknown>(runId: number): Promise<T | null> {
    const row = (await this.knex(PLANS).where({ run_id: runId }).first()) as { plan: string } | undefined;
    return row ? (JSON.parse(row.plan) as T) : null;
  }

  /**
   * Retention: the data log holds students' personal data, so finished runs that started before `cutoff` go,
   * with their issues and plans. Running runs stay whatever their age. Returns how many runs were deleted.
   */
  async prune(cutoff: Date): Promise<number> {
    const at = cutoff.toISOString();
    return this.knex.transaction(async (trx) => {
      const old = trx(RUNS).select('id').where('started_at', '<', at).andWhereNot('status', 'running');
      // Children first: correct whether or not the database enforces the cascade.
      await trx(ISSUES).whereIn('run_id', old.clone()).delete();
      await trx(PLANS).whereIn('run_id', old.clone()).delete();
      const deleted: number = await trx(RUNS).where('started_at', '<', at).andWhereNot('status', 'running').delete();
      return deleted;
    });
  }

  private async getRecord(runId: number): Promise<RunRecord | null> {
    const row = (await this.knex<RunRow>(RUNS).where({ id: runId }).first()) as RunRow | undefined;
    return row ? toRecord(row) : null;
  }
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: Number(row.id),
    integration: row.integration,
    job: row.job as Job,
    trigger: row.trigger as Trigger,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    endedAt: row.ended_at ?? null,
    counts: row.counts ? (JSON.parse(row.counts) as RunCounts) : null,
    errorCode: row.error_code ?? null,
    errorMessage: row.error_message ?? null,
    issueCount: Number(row.issue_count),
    decision: (row.decision as HeldDecision | null | undefined) ?? null,
    decidedBy: row.decided_by ?? null,
    decidedAt: row.decided_at ?? null,
  };
}

function toIssue(row: IssueRow): RunIssue {
  return {
    rule: row.rule,
    severity: row.severity as RunIssue['severity'],
    recordKind: row.record_kind ?? null,
    recordId: row.record_id ?? null,
    message: row.message,
  };
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
